// Sandboxed CEL for policies: typed variables, parse-time limits and a metered evaluation budget.
import { Environment } from '@marcbachmann/cel-js'
import { VIEW_TYPES } from './view-types.ts'

/** Limits on what one policy expression may be and may cost. */
export const CEL_LIMITS = Object.freeze({
  maxChars: 2_000,
  maxDepth: 32,
  maxAstNodes: 500,
  /** AST node evaluations per evaluation (loops count every iteration). */
  maxSteps: 50_000,
  /** Longest string an expression may build. */
  maxStringChars: 16_384,
  /** Longest list an expression may build. */
  maxListItems: 10_000,
  maxPatternChars: 200,
})

/** A compiled, type-checked expression. `run` throws `CelRunError` (never hangs). */
export interface CelProgram {
  readonly source: string
  /** The source on one line, for messages. */
  readonly display: string
  /** The type CEL inferred: `bool`, `string`, `list<string>`, `list<RealServer>`, `dyn` ... */
  readonly type: string
  run(vars: CelVars): unknown
}

export interface CelVars {
  event: unknown
  inventory: unknown
  health: unknown
  item?: unknown
}

/** Why an expression was refused, with its offsets inside the expression text. */
export interface CelProblem {
  message: string
  start: number
  end: number
}

/** Evaluation failed: a missing key, a bad conversion, or a cost limit. */
export class CelRunError extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message)
    this.name = 'CelRunError'
  }
}

/**
 * Compiles CEL over `event`, `inventory`, `health` (and `item` of the given type inside a
 * foreach step). Syntax, type and limit problems come back positioned, never thrown.
 *
 * @example
 * const compiled = compileCel('health.nodes[event.subject] == "down"')
 * if ('program' in compiled) compiled.program.run(vars)
 */
export function compileCel(
  source: string,
  options: { itemType?: string } = {},
): { program: CelProgram } | { problem: CelProblem } {
  // Policies written from one template share their expressions: compile each text once, and
  // let evaluation share the result of one program across the policies of one event.
  const key = `${options.itemType ?? ''}\u0000${source}`
  const cached = compiled.get(key)
  if (cached) return cached
  const result = compileUncached(source, options.itemType)
  if (compiled.size >= COMPILE_CACHE_SIZE) compiled.delete(compiled.keys().next().value!)
  compiled.set(key, result)
  return result
}

const COMPILE_CACHE_SIZE = 10_000
const compiled = new Map<string, { program: CelProgram } | { problem: CelProblem }>()

function compileUncached(
  source: string,
  itemType: string | undefined,
): { program: CelProgram } | { problem: CelProblem } {
  if (source.length > CEL_LIMITS.maxChars)
    return problem(`expression is longer than ${CEL_LIMITS.maxChars} characters`, 0, source.length)
  const probe = /\btandem_meter_probe\b/.exec(source)
  if (probe)
    return problem(
      'found no matching overload for tandem_meter_probe',
      probe.index,
      probe.index + 18,
    )
  const env = environmentFor(itemType)
  let parsed: ReturnType<Environment['parse']>
  try {
    parsed = env.parse(source)
  } catch (error) {
    return fromCelError(error, source)
  }
  const unsafe = unsafePatterns(parsed.ast)
  if (unsafe) return { problem: unsafe }
  const checked = parsed.check()
  if (!checked.valid) return fromCelError(checked.error, source)
  const type = checked.type ?? 'dyn'
  return {
    program: {
      source,
      display: source.replace(/\s+/g, ' ').trim(),
      type,
      run: (vars) => meteredRun(() => parsed(vars as unknown as Record<string, unknown>)),
    },
  }
}

/** The element type of a list type (`list<Node>` → `Node`); map keys for maps; else `dyn`. */
export function elementType(type: string): string {
  const list = /^list<(.+)>$/.exec(type)
  if (list) return list[1]!
  const map = /^map<([^,]+),/.exec(type)
  return map ? map[1]!.trim() : 'dyn'
}

const meter = { steps: 0 }
const environments = new Map<string, Environment>()
let base: Environment | undefined

function environmentFor(itemType: string | undefined): Environment {
  const key = itemType ?? ''
  let env = environments.get(key)
  if (env) return env
  base ??= createBase()
  env = base.clone()
  if (itemType !== undefined) env.registerVariable('item', itemType)
  installMeter(env)
  environments.set(key, env)
  return env
}

function createBase(): Environment {
  const env = new Environment({
    limits: {
      maxAstNodes: CEL_LIMITS.maxAstNodes,
      maxDepth: CEL_LIMITS.maxDepth,
      maxListElements: 100,
      maxMapEntries: 100,
      maxCallArguments: 16,
    },
  })
  for (const [name, decl] of Object.entries(VIEW_TYPES))
    env.registerType(name, { ctor: decl.ctor, fields: { ...decl.fields } })
  env.registerVariable('event', 'Event')
  env.registerVariable('inventory', 'Inventory')
  env.registerVariable('health', 'Health')
  // Hands us the environment's evaluator once, so its `run` can be metered (see installMeter).
  env.registerFunction('tandem_meter_probe(): bool', function probe(this: unknown) {
    probed = this
    return true
  })
  return env
}

let probed: unknown

/**
 * Every sub-expression is evaluated through the evaluator's `run`: counting there bounds
 * loops (nested comprehensions) and checking sizes there bounds string and list growth.
 */
function installMeter(env: Environment): void {
  probed = undefined
  env.evaluate('tandem_meter_probe()', {})
  const evaluator = probed as { run(ast: unknown, ctx: unknown): unknown } | undefined
  if (!evaluator || typeof evaluator.run !== 'function')
    throw new Error('[policy] cannot meter CEL evaluation: the CEL library changed')
  const run = evaluator.run
  evaluator.run = function metered(ast, ctx) {
    if (++meter.steps > CEL_LIMITS.maxSteps)
      throw new CelRunError(
        `evaluation stopped: more than ${CEL_LIMITS.maxSteps} steps (CEL cost limit)`,
        (ast as { start?: number }).start,
      )
    return checkSize(run.call(this, ast, ctx), (ast as { start?: number }).start)
  }
}

function meteredRun(evaluate: () => unknown): unknown {
  meter.steps = 0
  try {
    return checkSize(evaluate(), 0)
  } catch (error) {
    if (error instanceof CelRunError) throw error
    const cel = error as { summary?: string; message?: string; range?: { start: number } }
    throw new CelRunError(cel.summary ?? firstLine(cel.message), cel.range?.start)
  }
}

function checkSize(value: unknown, offset: number | undefined): unknown {
  if (typeof value === 'string' && value.length > CEL_LIMITS.maxStringChars)
    throw new CelRunError(
      `evaluation stopped: a string longer than ${CEL_LIMITS.maxStringChars} characters (CEL size limit)`,
      offset,
    )
  if (Array.isArray(value) && value.length > CEL_LIMITS.maxListItems)
    throw new CelRunError(
      `evaluation stopped: a list longer than ${CEL_LIMITS.maxListItems} items (CEL size limit)`,
      offset,
    )
  return value
}

interface AstLike {
  op: string
  args: unknown
  start: number
  end: number
}

/**
 * `matches()` runs a backtracking regex engine: a pattern from data, or one with nested
 * quantifiers or back-references, could run for ever on a hostile label. Refuse them at load.
 */
function unsafePatterns(ast: unknown): CelProblem | undefined {
  const node = ast as AstLike
  if (!node || typeof node !== 'object' || typeof node.op !== 'string') return undefined
  if ((node.op === 'rcall' || node.op === 'call') && Array.isArray(node.args)) {
    const [name, ...rest] = node.args as [string, ...unknown[]]
    if (name === 'matches') {
      const args = rest.flat() as AstLike[]
      const pattern = args[args.length - 1]
      const why = patternProblem(pattern)
      if (why) return { message: why, start: pattern?.start ?? node.start, end: node.end }
    }
  }
  const children = Array.isArray(node.args) ? node.args.flat(2) : []
  for (const child of children) {
    const found = unsafePatterns(child)
    if (found) return found
  }
  return undefined
}

function patternProblem(pattern: AstLike | undefined): string | undefined {
  if (pattern?.op !== 'value' || typeof pattern.args !== 'string')
    return 'matches() needs a literal pattern here: a pattern taken from data could backtrack for ever'
  const text = pattern.args
  if (text.length > CEL_LIMITS.maxPatternChars)
    return `matches() pattern is longer than ${CEL_LIMITS.maxPatternChars} characters`
  if (/\\[1-9]|\\k</.test(text)) return 'matches() pattern uses a back-reference (unbounded cost)'
  if (/\([^()]*([*+]|\{\d*,\d*\}|\|)[^()]*\)\s*([*+]|\{\d*,\d*\})/.test(text))
    return 'matches() pattern repeats a group that itself repeats or alternates (catastrophic backtracking); simplify it'
  try {
    new RegExp(text)
  } catch (error) {
    return `matches() pattern is not a valid regular expression: ${(error as Error).message}`
  }
  return undefined
}

function fromCelError(error: unknown, source: string): { problem: CelProblem } {
  const cel = error as {
    summary?: string
    message?: string
    range?: { start: number; end: number }
  }
  const message = cel.summary ?? firstLine(cel.message)
  const start = Math.min(cel.range?.start ?? 0, source.length)
  return problem(message, start, Math.max(start, cel.range?.end ?? start))
}

function problem(message: string, start: number, end: number): { problem: CelProblem } {
  return { problem: { message, start, end } }
}

function firstLine(text: string | undefined): string {
  return (text ?? 'CEL error').split('\n')[0]!
}
