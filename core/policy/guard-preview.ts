// Which guards would stop a plan, judged from history: what `tandem plan` shows and `simulate` applies.
import { and, eq, gte, lte } from 'drizzle-orm'
import { type Inventory, type LabelMatcher, matchesAll } from '../inventory/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import { incidents, runs, type Store, silences, steps } from '../store/index.ts'
import type { Plan } from './plan.ts'
import type { HealthView } from './views.ts'

/** The past a guard looks at. The store has one; a replay keeps its own. */
export interface GuardHistory {
  runs(policy: string, since: number): Promise<{ at: number; incidentKey: string }[]>
  fences(since: number): Promise<{ node: string; at: number }[]>
  maintenance(at: number): Promise<LabelMatcher[][]>
}

export interface GuardContext {
  history: GuardHistory
  health: HealthView
  now: number
  registry: Registry
  inventory: Inventory
}

/** One guard's verdict on a plan; `blocks` false is information (it would not stop it). */
export interface GuardVerdict {
  guard: string
  blocks: boolean
  reason: string
  /** A cooldown's end: the executor defers a run it refuses to then (docs/policy.md). */
  until?: number
}

/**
 * Previews the guards of a plan at `now`. The executor is the authority and checks again when
 * it runs; this tells a reader (and a replay) what would stop the plan. Cooldown counts runs of
 * the same incident; `max_runs` counts every run of the policy.
 *
 * @example
 * const verdicts = await previewGuards(plan, { history: storeHistory(store), health, now, registry, inventory })
 */
export async function previewGuards(plan: Plan, context: GuardContext): Promise<GuardVerdict[]> {
  const { guards } = plan
  const { history, now } = context
  const out: GuardVerdict[] = []
  if (guards.cooldownMs !== undefined) {
    const since = now - guards.cooldownMs
    const recent = (await history.runs(plan.policy, since)).filter(
      (r) => r.incidentKey === plan.incidentKey && r.at > since,
    )
    const last = Math.max(...recent.map((r) => r.at))
    if (recent.length > 0)
      out.push({
        ...block(
          'cooldown',
          `last run for ${plan.incidentKey} ${ago(now - last)} ago; cooldown ${span(guards.cooldownMs)}`,
        ),
        until: last + guards.cooldownMs,
      })
  }
  if (guards.maxRuns) {
    const count = (await history.runs(plan.policy, now - guards.maxRuns.windowMs)).length
    if (count >= guards.maxRuns.count)
      out.push(
        block(
          'max_runs',
          `${count} runs in the last ${span(guards.maxRuns.windowMs)} (at most ${guards.maxRuns.count})`,
        ),
      )
  }
  const destructive = plan.steps.some((s) => safeAction(context.registry, s.uses)?.destructive)
  if (guards.requireQuorum && destructive && !context.health.quorate)
    out.push(block('quorum', 'the cluster is not quorate: no destructive step runs'))
  if (guards.maintenanceAware) {
    const windows = await history.maintenance(now)
    if (windows.some((matchers) => matchesAll(plan.event.labels, matchers)))
      out.push(block('maintenance', `${plan.event.subject} is inside a maintenance window`))
  }
  out.push(...drainVerdicts(plan, context))
  if (guards.maxFences) {
    const past = (await history.fences(now - guards.maxFences.windowMs)).length
    const planned = plan.steps.filter((s) => safeAction(context.registry, s.uses)?.fences).length
    if (planned > 0 && past + planned > guards.maxFences.count)
      out.push(
        block(
          'max_fences',
          `${past} fence(s) in the last ${span(guards.maxFences.windowMs)} + ${planned} planned > ${guards.maxFences.count}`,
        ),
      )
  }
  if (guards.approval === 'required')
    out.push(
      block(
        'approval',
        `waits for a person to approve${guards.approvalTtlMs ? ` (expires after ${span(guards.approvalTtlMs)})` : ''}`,
      ),
    )
  return out
}

/**
 * Guard history from the store: runs (not dry runs) with their incident key, confirmed fences
 * (succeeded `fence.fence` steps), and maintenance windows.
 */
export function storeHistory(store: Store): GuardHistory {
  const { db } = store
  return {
    async runs(policy, since) {
      const rows = await db
        .select({ at: runs.startedAt, key: incidents.key })
        .from(runs)
        .leftJoin(incidents, eq(runs.incidentId, incidents.id))
        .where(and(eq(runs.policy, policy), gte(runs.startedAt, since), eq(runs.dryRun, false)))
      return rows.map((r) => ({ at: r.at, incidentKey: r.key ?? '' }))
    },
    async fences(since) {
      const rows = await db
        .select({ input: steps.input, at: steps.startedAt })
        .from(steps)
        .where(
          and(
            eq(steps.uses, 'fence.fence'),
            eq(steps.status, 'succeeded'),
            gte(steps.startedAt, since),
          ),
        )
      return rows.map((r) => ({ node: String(r.input.node ?? ''), at: r.at ?? 0 }))
    },
    async maintenance(at) {
      const rows = await db
        .select({ matchers: silences.matchers })
        .from(silences)
        .where(
          and(
            eq(silences.kind, 'maintenance'),
            lte(silences.startsAt, at),
            gte(silences.endsAt, at),
          ),
        )
      return rows.map((r) => r.matchers)
    },
  }
}

/**
 * Share of a service's real servers out of rotation after the plan: the ones it drains plus
 * the ones whose checks are already down.
 */
function drainVerdicts(plan: Plan, context: GuardContext): GuardVerdict[] {
  const max = plan.guards.maxDrainedPercent
  if (max === undefined) return []
  const drained = new Map<string, Set<string>>()
  for (const step of plan.steps) {
    if (step.uses !== 'lvs.drain' && step.uses !== 'lvs.remove_server') continue
    const service = String(step.input.service ?? '')
    const set = drained.get(service) ?? new Set<string>()
    set.add(String(step.input.node ?? ''))
    drained.set(service, set)
  }
  const verdicts: GuardVerdict[] = []
  for (const [service, nodes] of drained) {
    const pool = context.inventory.service(service)?.real_servers.map((r) => r.node) ?? []
    if (pool.length === 0) continue
    for (const [target, state] of Object.entries(context.health.checks)) {
      const [svc, node] = target.split('/')
      if (svc === service && node && state === 'down' && pool.includes(node)) nodes.add(node)
    }
    const out = [...nodes].filter((n) => pool.includes(n)).length
    const percent = (out / pool.length) * 100
    if (percent > max)
      verdicts.push(
        block(
          'max_drained_percent',
          `${out} of ${pool.length} real servers of ${service} would be out (${Math.round(percent)}% > ${max}%)`,
        ),
      )
  }
  return verdicts
}

function safeAction(registry: Registry, uses: string) {
  try {
    return registry.action(uses).action
  } catch {
    return undefined
  }
}

function block(guard: string, reason: string): GuardVerdict {
  return { guard, blocks: true, reason }
}

function ago(ms: number): string {
  return span(Math.max(0, ms))
}

/** `90000` → `1m30s`. */
export function span(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const parts: string[] = []
  let s = Math.round(ms / 1000)
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`)
      s %= size
    }
  }
  return parts.slice(0, 2).join('')
}
