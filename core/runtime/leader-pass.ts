// One pass of the leader's work: resume after a takeover, remediate new events, notify, timers, approvals, housekeeping.
import type { Executor } from '../act/index.ts'
import { followEvents } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { Logger } from '../log.ts'
import type { Notifier } from '../notify/index.ts'
import type { Store } from '../store/index.ts'
import { incidentHousekeeping, type LeaderGuard } from './incident-pass.ts'
import type { Leadership } from './leadership.ts'
import { strandedRequests } from './manual-requests.ts'
import { createRemediation, type Remediation, type RemediationParts } from './remediation.ts'
import type { RunTracker } from './run-tracker.ts'

/** The events cursor remediation follows; notices follow their own. */
export const EVENTS_CURSOR = 'events:remediation'
const NOTIFY_CURSOR = 'events:notify'

export interface LeaderPassParts {
  store: Store
  inventory: Inventory
  log: Logger
  leadership: Leadership
  executor: Executor
  notifier: Notifier
  remediation: Remediation
  runs: RunTracker
}

/** Options of one pass; see Instance.lead. */
export interface LeadOptions {
  wait?: boolean
  renew?: boolean
}

/**
 * The leader's side of the loop: remediation (events → policies → plan → executor) driven by
 * leader passes. What the instance runs; tests build it the same way.
 *
 * @example
 * const lead = createLeaderLoop({ store, inventory, registry, log, policies, executor, ... })
 * await lead({ wait: true })
 */
export function createLeaderLoop(parts: RemediationParts & { leadership: Leadership }) {
  return createLeaderPass({ ...parts, remediation: createRemediation(parts) })
}

/**
 * The leader's pass. Only the lease holder gets past the first line; a new token (a takeover,
 * or this instance's first lead) first resumes what the old leader left, once per token.
 *
 * @example
 * const lead = createLeaderPass({ store, inventory, log, leadership, executor, ... })
 * setInterval(() => lead({ renew: false }), 1_000)
 */
export function createLeaderPass(parts: LeaderPassParts) {
  const { store, log, leadership, executor, notifier, remediation, runs } = parts
  let recoveredFor: number | undefined
  const resumeTakeover = async (guard: LeaderGuard) => {
    for (const report of await executor.recover())
      log.info('[runtime] resumed run', { run: report.runId })
    // Requests the old leader took past the cursor but never settled: an action it died
    // before beginning, or a policy whose run it died in (resumed above; handled again,
    // the run key finds that run, and the request's queued row learns its outcome).
    for (const event of await strandedRequests(store, EVENTS_CURSOR)) {
      log.info('[runtime] resuming a queued request', {
        event: event.id,
        subject: event.subject,
      })
      await remediation.handle(event, guard)
    }
  }
  return async function lead({ wait = false, renew = true }: LeadOptions = {}) {
    if (renew) await leadership.renew()
    const token = leadership.token()
    if (token === undefined) return { leading: false, events: 0 }
    const guard = (tx: Pick<Store['db'], 'select'>) => leadership.check(token, tx)
    // After a takeover, resume what the old leader left (once per token).
    if (token !== recoveredFor) {
      recoveredFor = token
      await resumeTakeover(guard)
    }
    // Its own lease lapsed and was re-taken with the same token: the runs the lapse cut short
    // go on (read back first, as after a crash); nobody else's are touched.
    runs.track(executor.resumeAbandoned())
    const leading = true
    // Remediation, then notices: on one store connection the notice writes would stand
    // between a node.down and its fence (notices are grouped and sent later anyway). A
    // remediation that fails does not hold the notices back. The cursors move under the
    // token; a batch is handed over only while it still holds.
    let events = 0
    let failed: { error: unknown } | undefined
    try {
      events = await followEvents(
        store,
        EVENTS_CURSOR,
        (batch) => remediation.remediate(batch, guard),
        { guard },
      )
    } catch (error) {
      failed = { error }
    }
    await followEvents(
      store,
      NOTIFY_CURSOR,
      async (batch) => {
        await leadership.check(token)
        await notifier.onEvents(batch)
      },
      { guard },
    )
    if (failed) throw failed.error
    await remediation.fireDue()
    // Runs held by a blind monitor, unknown quorum or a busy target go on once it cleared (a
    // monitor.sighted or the cluster row wakes this pass), while their cause still holds.
    runs.track(executor.pollHeld())
    await executor.pollApprovals()
    await incidentHousekeeping(
      store,
      notifier,
      parts.inventory.config.daemon.incident_hold_down,
      guard,
    )
    if (wait) await runs.settle()
    return { leading, events }
  }
}
