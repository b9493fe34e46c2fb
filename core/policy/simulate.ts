// Replays recorded events through two policy sets and tells what each would have done, and the difference.
import { createTask } from 'node-cron'
import type { HealthReading, TandemEvent } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import type { CompiledPolicy } from './compile.ts'
import { evaluateEvent, type PolicyMatch } from './evaluate.ts'
import { type GuardHistory, previewGuards } from './guard-preview.ts'
import { createMatcher } from './matcher.ts'
import { planMatch } from './planner.ts'
import {
  changedEvents,
  describeAction,
  differences,
  type SimulatedAction,
  type SimulationReport,
  type SimulationSide,
} from './simulate-report.ts'
import { deferredRun, dueStillHolds, memoryTimers } from './timers.ts'
import { everythingUp, healthView, inventoryView } from './views.ts'

export interface SimulationOptions {
  events: readonly TandemEvent[]
  candidate: readonly CompiledPolicy[]
  /** The policies running today; absent: only what the candidate would have done. */
  baseline?: readonly CompiledPolicy[]
  inventory: Inventory
  registry: Registry
  /** Health before the first event; default: everything up. */
  initialHealth?: HealthReading[]
  /** Start of the replayed window (for schedule triggers); default: the first event. */
  from?: number
  /** End of the replayed window (timers due later never fire); default: the last event. */
  until?: number
}

/**
 * Replays events in time order: health follows the events, `for:` timers wait and are cancelled
 * by resolving events, schedule triggers fire at their minutes, and cooldown, max_runs and
 * max_fences count what the replay itself would have done. A run its cooldown refuses is
 * deferred to the window's end, as the executor does, and fires then unless the opposite event
 * came or health contradicts it. Nothing is run, nothing is described.
 *
 * @example
 * const report = await simulate({ events, candidate, baseline, inventory, registry })
 * report.differences[0]?.sentence // "this change would have fenced node3 twice (before: never)"
 */
export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const events = [...options.events].sort((a, b) => a.at - b.at)
  const from = options.from ?? events[0]?.at ?? 0
  const to = options.until ?? events[events.length - 1]?.at ?? 0
  const candidate = await replay(options.candidate, events, from, to, options)
  const baseline = options.baseline
    ? await replay(options.baseline, events, from, to, options)
    : undefined
  return {
    from,
    to,
    events: events.length,
    baseline,
    candidate,
    differences: baseline ? differences(baseline, candidate) : [],
    changedEvents: baseline ? changedEvents(events, baseline, candidate) : [],
  }
}

async function replay(
  policies: readonly CompiledPolicy[],
  events: TandemEvent[],
  from: number,
  to: number,
  options: SimulationOptions,
): Promise<SimulationSide> {
  const { inventory, registry } = options
  const matcher = createMatcher(policies)
  const invView = inventoryView(inventory)
  const health = new HealthState(options.initialHealth ?? everythingUp(inventory))
  const timers = memoryTimers()
  const waitingFrom = new Map<string, number>()
  const history = new ReplayHistory()
  const side: SimulationSide = { runs: [], conditionErrors: [] }

  const fire = async (match: PolicyMatch, at: number, eventIndex: number) => {
    const plan = await planMatch(match, { inventory })
    const verdicts = await previewGuards(plan, {
      history,
      health: health.view(inventory),
      now: at,
      registry,
      inventory,
    })
    const blocking = verdicts.filter((v) => v.blocks)
    // The executor checks the cooldown before any other guard, and defers what it refuses.
    const deferredUntil = blocking.find((v) => v.guard === 'cooldown')?.until
    const outcome =
      blocking.length === 0
        ? 'run'
        : deferredUntil !== undefined
          ? 'deferred'
          : blocking.every((v) => v.guard === 'approval')
            ? 'approval'
            : 'blocked'
    const actions = plan.steps
      .filter((s) => !s.error)
      .map((s) => describeAction(s.uses, s.input, registry))
    side.runs.push({
      at,
      policy: plan.policy,
      eventIndex,
      trigger: `${match.event.type} ${match.event.subject}`,
      incidentKey: plan.incidentKey,
      outcome,
      blockedBy: blocking,
      actions,
      errors: plan.steps.flatMap((s) => (s.error ? [`step ${s.id}: ${s.error}`] : [])),
      ...(deferredUntil !== undefined ? { deferredUntil } : {}),
    })
    if (outcome === 'run') history.record(plan.policy, plan.incidentKey, at, actions)
    if (deferredUntil !== undefined) {
      const timer = deferredRun(plan, at, deferredUntil)
      await timers.defer(timer)
      waitingFrom.set(timer.key, eventIndex)
    }
  }
  const fireDue = async (until: number) => {
    // Again until nothing is due: a run fired here may defer itself to a time before `until`.
    for (let due = await timers.claimDue(until); due.length > 0; due = await timers.claimDue(until))
      for (const timer of due) {
        const policy = policies.find((p) => p.name === timer.policy)
        if (!policy) continue
        const current = health.view(inventory)
        const again = evaluateEvent(createMatcher([policy]), timer.event, {
          inventory: invView,
          health: current,
        })
        if (again.matches[0] && dueStillHolds(timer, current))
          await fire(again.matches[0], timer.dueAt, waitingFrom.get(timer.key) ?? -1)
      }
  }

  const stream = mergeSchedules(events, policies, from, to)
  for (const { event, index } of stream) {
    await fireDue(event.at)
    health.apply(event)
    await timers.cancelResolved(event)
    const evaluation = evaluateEvent(matcher, event, {
      inventory: invView,
      health: health.view(inventory),
    })
    for (const skip of evaluation.skipped)
      if (skip.failed)
        side.conditionErrors.push({ at: event.at, policy: skip.policy, reason: skip.reason })
    for (const match of evaluation.matches) {
      const forMs = match.policy.forMs
      if (forMs === undefined) {
        await fire(match, event.at, index)
        continue
      }
      const key = `${match.policy.name}|${event.type}|${event.subject}`
      if (
        await timers.start({
          key,
          policy: match.policy.name,
          event,
          since: event.at,
          dueAt: event.at + forMs,
        })
      )
        waitingFrom.set(key, index)
    }
  }
  await fireDue(to)
  return side
}

/** Cron minutes of the policies' schedule triggers inside the window, merged with the events. */
function mergeSchedules(
  events: TandemEvent[],
  policies: readonly CompiledPolicy[],
  from: number,
  to: number,
): { event: TandemEvent; index: number }[] {
  const stream = events.map((event, index) => ({ event, index }))
  const minute = 60_000
  const limit = 200_000 // minutes: a bit over 4 months of replay per schedule
  for (const policy of policies) {
    if (!policy.enabled) continue
    for (const schedule of policy.schedules) {
      const task = createTask(schedule.schedule, () => undefined, { timezone: schedule.timezone })
      try {
        for (
          let t = Math.ceil(from / minute) * minute, n = 0;
          t <= to && n < limit;
          t += minute, n++
        ) {
          if (!task.match(new Date(t))) continue
          stream.push({
            index: -1,
            event: {
              type: 'schedule',
              subject: policy.name,
              at: t,
              labels: { severity: 'info', policy: policy.name },
              payload: { schedule: schedule.schedule },
            },
          })
        }
      } finally {
        void task.destroy()
      }
    }
  }
  return stream.sort((a, b) => a.event.at - b.event.at)
}

/** Health as the replayed events leave it. */
class HealthState {
  private readonly rows = new Map<string, HealthReading>()

  constructor(initial: HealthReading[]) {
    for (const row of initial) this.rows.set(`${row.kind}|${row.target}`, row)
  }

  apply(event: TandemEvent): void {
    const [family = '', change = ''] = event.type.split('.')
    const state = STATES[change]
    if (!state || !['node', 'service', 'vm', 'check'].includes(family)) return
    const row = { kind: family, target: event.subject, state, detail: event.payload }
    this.rows.set(`${family}|${event.subject}`, row)
  }

  view(inventory: Inventory) {
    return healthView([...this.rows.values()], inventory)
  }
}

const STATES: Record<string, string> = {
  down: 'down',
  up: 'up',
  unreachable: 'unreachable',
  degraded: 'degraded',
  failed: 'down',
  recovered: 'up',
}

/** What the replay itself did, for cooldown, max_runs and max_fences. */
class ReplayHistory implements GuardHistory {
  private readonly runList: { policy: string; incidentKey: string; at: number }[] = []
  private readonly fenceList: { node: string; at: number }[] = []

  record(policy: string, incidentKey: string, at: number, actions: SimulatedAction[]): void {
    this.runList.push({ policy, incidentKey, at })
    for (const a of actions) if (a.fences) this.fenceList.push({ node: a.fences, at })
  }

  async runs(policy: string, since: number) {
    return this.runList.filter((r) => r.policy === policy && r.at >= since)
  }

  async fences(since: number) {
    return this.fenceList.filter((f) => f.at >= since)
  }

  async maintenance() {
    return []
  }
}
