// A match becomes a plan: foreach expanded, every template resolved and validated, argv described.
import { fieldPath, type Inventory } from '../inventory/index.ts'
import type { PluginContext } from '../plugin/index.ts'
import type { CelVars } from './cel.ts'
import type { CompiledStep } from './compile.ts'
import type { PolicyMatch } from './evaluate.ts'
import { referenceProblems } from './inputs.ts'
import type { Plan, PlanStep, SkippedStep } from './plan.ts'
import { resolveTemplates, shown, TemplateError } from './template.ts'
import { HealthView, RealServerView } from './views.ts'

export interface PlanOptions {
  inventory: Inventory
  /**
   * The context `describe` gets for a plugin. Absent: no commands are described (simulate).
   * For `tandem plan` it carries a read-only runner: a plan never changes anything.
   */
  context?: (plugin: string) => PluginContext
  dryRun?: boolean
}

/**
 * Turns a match into the executor's plan. A step that cannot be planned (bad template result,
 * invalid input, unknown node) keeps its place with `error` set; the other steps are still
 * planned, so fencing and draining are not lost to one broken relocation. A failing
 * `describe` only sets `describeError`.
 *
 * @example
 * const plan = await planMatch(match, { inventory, context: (name) => contexts.get(name) })
 */
export async function planMatch(match: PolicyMatch, options: PlanOptions): Promise<Plan> {
  const { policy, event, vars } = match
  const steps: PlanStep[] = []
  const skipped: SkippedStep[] = []
  for (const step of policy.steps) {
    const id = String(step.index + 1)
    if (!step.foreach) {
      steps.push(await planStep(step, id, vars, options))
      continue
    }
    let items: unknown[]
    try {
      items = foreachItems(step, vars)
    } catch (error) {
      steps.push(failedStep(step, id, `foreach: ${(error as Error).message}`))
      continue
    }
    if (items.length === 0) skipped.push({ id, name: step.name, reason: 'foreach gave no items' })
    for (const [i, item] of items.entries()) {
      const planned = await planStep(step, `${id}.${i}`, { ...vars, item }, options)
      planned.name = `${step.name} [${itemLabel(item)}]`
      planned.group = id
      planned.concurrency = step.concurrency
      steps.push(planned)
    }
  }
  return {
    policy: policy.name,
    file: policy.file,
    event,
    incidentKey: incidentKey(match),
    steps,
    guards: policy.guards,
    notify: policy.notify,
    dryRun: policy.dryRun || options.dryRun === true,
    ...(skipped.length > 0 ? { skipped } : {}),
    ...(policy.readsOwners ? { owners: ownersOf(vars.health) } : {}),
    ...(policy.readsGuests && vars.health instanceof HealthView
      ? { guests: { ...vars.health.vmHosts } }
      : {}),
  }
}

/** The owners the plan's expressions saw, each with its source (live or the preferred guess). */
function ownersOf(health: unknown): NonNullable<Plan['owners']> {
  if (!(health instanceof HealthView)) return {}
  return Object.fromEntries(
    Object.entries(health.owners).map(([service, node]) => [
      service,
      { node, source: health.ownerSources[service] ?? 'preferred' },
    ]),
  )
}

/** The incident a match belongs to: the policy's `incident:` template, else `type:subject`. */
export function incidentKey(match: PolicyMatch): string {
  const { policy, event, vars } = match
  if (!policy.incident) return `${event.type}:${event.subject}`
  try {
    return String(resolveTemplates(policy.incident, vars, ['incident']))
  } catch {
    return `${event.type}:${event.subject}`
  }
}

async function planStep(
  step: CompiledStep,
  id: string,
  vars: CelVars,
  options: PlanOptions,
): Promise<PlanStep> {
  let input: Record<string, unknown>
  try {
    input = resolveTemplates(step.with, vars) as Record<string, unknown>
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error
    return failedStep(step, id, `${fieldPath(['with', ...error.path])}: ${error.message}`)
  }
  const parsed = step.action.input.safeParse(input)
  if (!parsed.success) {
    const first = parsed.error.issues[0]!
    const path = fieldPath(['with', ...(first.path as (string | number)[])])
    return failedStep(step, id, `${path}: ${first.message} (got ${JSON.stringify(input)})`)
  }
  const references = referenceProblems(input, options.inventory)
  if (references.length > 0) {
    const [first] = references
    return failedStep(step, id, `${fieldPath(['with', ...first!.path])}: ${first!.message}`)
  }
  const planned = baseStep(step, id, parsed.data as Record<string, unknown>)
  if (!options.context) return planned
  try {
    planned.commands = await step.action.describe(parsed.data, options.context(step.plugin))
  } catch (error) {
    planned.describeError = `[${step.plugin}] describe failed: ${(error as Error).message}`
  }
  return planned
}

function foreachItems(step: CompiledStep, vars: CelVars): unknown[] {
  let value: unknown
  try {
    value = step.foreach!.run(vars)
  } catch (error) {
    throw new Error(`${shown(step.foreach!)}: ${(error as Error).message}`)
  }
  if (Array.isArray(value)) return value
  if (value instanceof Map) return [...value.keys()]
  if (value && typeof value === 'object') return Object.keys(value)
  throw new Error(`${shown(step.foreach!)} gave ${typeof value}, not a list`)
}

function baseStep(step: CompiledStep, id: string, input: Record<string, unknown>): PlanStep {
  return {
    id,
    name: step.name,
    uses: step.uses,
    input,
    commands: [],
    timeoutMs: step.timeoutMs,
    retry: step.retry,
    verify: step.verify,
    onFailure: step.onFailure,
  }
}

/** Input stays empty: nothing half-resolved may reach an executor that overlooks `error`. */
function failedStep(step: CompiledStep, id: string, error: string): PlanStep {
  return { ...baseStep(step, id, {}), error }
}

function itemLabel(item: unknown): string {
  if (item instanceof RealServerView) return `${item.service}/${item.node}`
  if (typeof item === 'string' || typeof item === 'number' || typeof item === 'bigint')
    return String(item)
  const name = (item as { name?: unknown } | null)?.name
  return typeof name === 'string'
    ? name
    : JSON.stringify(item, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))
}
