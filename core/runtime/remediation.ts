// Events → policies → plan → executor: what the leader does with each event it follows, and with due timers.
import type { ExecuteOptions, Executor } from '../act/index.ts'
import { crashPoint } from '../crash-points.ts'
import type { TandemEvent } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { Logger } from '../log.ts'
import type { TandemMetrics } from '../metrics/index.ts'
import type { Notifier } from '../notify/index.ts'
import { createCommandRunner, type Registry } from '../plugin-host/index.ts'
import {
  createPlanContexts,
  createReadOnlyRunner,
  type Plan,
  type PolicySet,
} from '../policy/index.ts'
import type { Store } from '../store/index.ts'
import { applyToIncidents, type LeaderGuard } from './incident-pass.ts'
import type { Leadership } from './leadership.ts'
import {
  createRequestLanes,
  leadsAgainUnder,
  manualRequest,
  notMatched,
  policyRequest,
  queuedPolicyRun,
  runQueuedAction,
  settleQueued,
} from './manual-requests.ts'
import { openPendingIncident, pendingUpdate } from './pending-notice.ts'
import type { RunTracker } from './run-tracker.ts'

/** How long a pass waits for the runs it began to act before its other store work. */
const ACTING_WAIT_MS = 2_000

export interface RemediationParts {
  store: Store
  inventory: Inventory
  registry: Registry
  log: Logger
  policies: PolicySet
  executor: Executor
  notifier: Notifier
  /** The leader counts each event it handles here (tandem_events_total). */
  metrics: TandemMetrics
  runs: RunTracker
  /** Whose token an API request's run began under: after a lapse it runs again if re-taken. */
  leadership: Pick<Leadership, 'token'>
  /** Aborted when the instance closes: requests waiting for a lapsed lease stop waiting. */
  closing?: AbortSignal
}

/** The leader's remediation: a batch of followed events, one event again, the due timers. */
export interface Remediation {
  /** Applies each event to incidents, then runs what policies make of it (in order). */
  remediate(batch: TandemEvent[], guard: LeaderGuard): Promise<void>
  /** Runs what one event asks for, once its incident effects are applied (replays included). */
  handle(event: TandemEvent, guard: LeaderGuard): Promise<void>
  /** Plans and runs the `for:` timers and deferred runs that came due. */
  fireDue(): Promise<void>
}

/**
 * The leader's remediation over one policy set and executor. Runs are handed to `runs`, not
 * awaited: the next event is not held up by a long run, but each pass waits (bounded) for its
 * runs to act before the cursor moves, notices go and timers fire.
 *
 * @example
 * const remediation = createRemediation({ store, inventory, ..., runs: createRunTracker(log) })
 * await followEvents(store, cursor, (batch) => remediation.remediate(batch, guard), { guard })
 */
export function createRemediation(parts: RemediationParts): Remediation {
  const { store, policies, executor, notifier, runs, inventory, log } = parts
  const planContext = () =>
    createPlanContexts({
      registry: parts.registry,
      config: inventory.config,
      inventory,
      runner: createReadOnlyRunner(createCommandRunner({ inventory, log })),
      log,
    })
  /** A run a cooldown refused comes back when the window ends (the policy area's deferred runs). */
  const deferral =
    (planned: Plan): ExecuteOptions['defer'] =>
    (tx, until) =>
      policies.defer(planned, until, tx)
  const lane = createRequestLanes()
  /** An API action request goes to its subject's lane (run in order); false for other events. */
  const handOver = (event: TandemEvent): boolean => {
    const manual = manualRequest(event)
    if (!manual) return false
    const runKey = `request:${event.id}`
    const token = parts.leadership.token()
    const signal = parts.closing
    const leadsAgain = () => leadsAgainUnder(token, () => parts.leadership.token(), signal)
    runs.track(
      lane(event.subject, () =>
        runQueuedAction(store, executor, manual, runKey, { leadsAgain, signal }),
      ),
    )
    return true
  }
  const handle = async (event: TandemEvent, guard: LeaderGuard) => {
    if (handOver(event)) return
    const queued = queuedPolicyRun(event)
    // A policy asked for through the API runs as its requester, dry if asked; others as the daemon.
    const asked = policyRequest(event)
    await policies.match(event, {
      beforeTimers: async (fire, waiting) => {
        if (queued && fire.length === 0) runs.track(settleQueued(store, queued, notMatched(event)))
        for (const match of fire) {
          const planned = await policies.plan(match, { context: planContext() })
          if (asked?.dryRun) planned.dryRun = true
          // Its run key is the event's: handled again after a crash, it reports the same run.
          // One asked for through the API is not deferred: its requester hears the refusal now.
          const run = executor.execute(planned, asked ?? { defer: deferral(planned) })
          runs.track(queued ? run.then((report) => settleQueued(store, queued, report)) : run)
        }
        if (fire.length > 0 && waiting.length > 0) await executor.acting(ACTING_WAIT_MS)
        for (const match of waiting)
          await notifier.onPending(
            pendingUpdate(match, await openPendingIncident(store, match, guard)),
          )
      },
    })
  }
  // `for:` timers whose run is being written by this instance (the run key guards the rest).
  const firing = new Set<string>()
  return {
    async remediate(batch, guard) {
      // Counted once, by the leader that handles them, whichever instance or route wrote them.
      for (const event of batch) parts.metrics.events.inc({ type: event.type })
      for (const event of batch) {
        await applyToIncidents(store, event, guard)
        await handle(event, guard)
      }
      // The cursor update, notices and timers wait until these runs acted (bounded).
      await executor.acting(ACTING_WAIT_MS)
    },
    handle,
    async fireDue() {
      for (const match of await policies.due()) {
        const { timer } = match
        if (firing.has(timer.key)) continue
        const planned = await policies.plan(match, { context: planContext() })
        crashPoint('timer.due')
        firing.add(timer.key)
        const run = executor.execute(planned, {
          runKey: `timer:${timer.key}@${timer.since}/${timer.policy}`,
          withIntent: (tx) => match.consume(tx),
          defer: deferral(planned),
        })
        runs.track(run.finally(() => firing.delete(timer.key)))
      }
    },
  }
}
