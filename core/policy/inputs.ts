// Checks a step's `with:` against its action: known keys, the zod input schema, inventory names.
import type { z } from 'zod'
import { type Inventory, nearestName, objectKeysAt } from '../inventory/index.ts'
import type { ActionDefinition } from '../plugin/index.ts'
import type { Path, TemplatedPath } from './template.ts'

/** A problem with one input, `path` relative to `with:`. */
export interface InputProblem {
  path: Path
  message: string
}

/** Input keys whose values are inventory names, by the contract every built-in action follows. */
const REFERENCE_KEYS: Record<string, 'node' | 'service' | 'vm'> = {
  node: 'node',
  host: 'node',
  to: 'node',
  service: 'service',
  vm: 'vm',
}

/**
 * Load-time check of literal and templated inputs. A templated value is checked by the type CEL
 * inferred (a `string` template where the action wants a number is an error); its exact value
 * is checked when the plan is made.
 *
 * @returns zod issues (paths relative to `with:`) and other problems.
 */
export function checkInputs(
  action: ActionDefinition,
  input: Record<string, unknown>,
  typed: readonly TemplatedPath[],
  inventory: Inventory,
): { zod: z.core.$ZodIssue[]; problems: InputProblem[] } {
  const problems: InputProblem[] = []
  const valid = objectKeysAt(action.input, input, [])
  if (valid.length > 0)
    for (const key of Object.keys(input))
      if (!valid.includes(key)) {
        const near = nearestName(key, valid)
        problems.push({
          path: [key],
          message: `unknown input "${key}"${near ? `; did you mean "${near}"?` : `; inputs: ${valid.join(', ')}`}`,
        })
      }
  const sample = structuredClone(input)
  // A template CEL could not type has its own error already; its text is not the value.
  const skipped: Path[] = untypedTemplates(input, typed)
  for (const { path, type } of typed) {
    const value = sampleOf(type)
    if (value === SKIP) skipped.push(path)
    else setAt(sample, path, value)
  }
  const parsed = action.input.safeParse(sample)
  const zod = parsed.success
    ? []
    : parsed.error.issues.filter((issue) => {
        if (issue.code === 'unrecognized_keys' && valid.length > 0) return false
        if (skipped.some((p) => startsWith(issue.path, p))) return false
        const templated = typed.find((t) => startsWith(issue.path, t.path))
        if (!templated) return true
        if (issue.code === 'invalid_type')
          problems.push({
            path: issue.path as Path,
            message: `the template gives ${templated.type}; the action expects ${issue.expected}`,
          })
        return false
      })
  const templatedPaths = typed.map((t) => t.path)
  problems.push(
    ...referenceProblems(input, inventory).filter(
      (p) => !templatedPaths.some((t) => startsWith(p.path, t)),
    ),
  )
  return { zod, problems }
}

/**
 * Inventory names in inputs (`node`, `host`, `to`, `service`, `vm`) that do not exist. Run on
 * literal inputs at load and on resolved inputs at plan time, so a templated name from an event
 * (or a hostile label) never reaches a plugin unless it is a real node, service or VM.
 */
export function referenceProblems(
  input: Record<string, unknown>,
  inventory: Inventory,
): InputProblem[] {
  const problems: InputProblem[] = []
  const known = {
    node: inventory.config.nodes.map((n) => n.name),
    service: inventory.config.services.map((s) => s.name),
    vm: inventory.config.vms.map((v) => v.name),
  }
  for (const [key, value] of Object.entries(input)) {
    const kind = REFERENCE_KEYS[key]
    if (!kind || typeof value !== 'string' || value.includes('${{')) continue
    if (known[kind].includes(value)) continue
    const near = nearestName(value, known[kind])
    problems.push({
      path: [key],
      message: `no ${kind} named ${JSON.stringify(value)}${near ? `; did you mean "${near}"?` : ''}`,
    })
  }
  return problems
}

const SKIP = Symbol('skip')

/** Paths of `${{ }}` strings without an inferred type (their expression failed to compile). */
function untypedTemplates(
  value: unknown,
  typed: readonly TemplatedPath[],
  path: Path = [],
): Path[] {
  if (typeof value === 'string')
    return value.includes('${{') && !typed.some((t) => startsWith(path, t.path)) ? [path] : []
  if (Array.isArray(value)) return value.flatMap((v, i) => untypedTemplates(v, typed, [...path, i]))
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => untypedTemplates(v, typed, [...path, k]))
  return []
}

/** A value of the CEL type for zod to judge; SKIP when CEL cannot tell (dyn, maps). */
function sampleOf(type: string): unknown {
  if (type === 'string') return 'x'
  if (type === 'int' || type === 'uint') return 1
  if (type === 'double') return 1.5
  if (type === 'bool') return true
  if (type === 'null_type') return null
  const list = /^list<(.+)>$/.exec(type)
  if (list) {
    const item = sampleOf(list[1]!)
    return item === SKIP ? SKIP : [item]
  }
  if (/^[A-Z]/.test(type) && !type.includes('.')) return {}
  return SKIP
}

function setAt(target: Record<string, unknown>, path: Path, value: unknown): void {
  let node: Record<string | number, unknown> = target
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
  node[path[path.length - 1]!] = value
}

function startsWith(path: readonly PropertyKey[], prefix: Path): boolean {
  return prefix.every((key, i) => path[i] === key)
}
