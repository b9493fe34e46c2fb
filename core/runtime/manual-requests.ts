// Requests queued through `POST /api/v1/actions`: run them, and close the queued row with the outcome.
import { and, eq, sql } from 'drizzle-orm'
import { type Executor, isStaleLeader, type QueuedOutcome, settleQueuedRun } from '../act/index.ts'
import type { TandemEvent } from '../events/index.ts'
import type { Requester } from '../plugin-host/index.ts'
import { cursors, events, runs, type Store } from '../store/index.ts'

export interface ManualRequest {
  runId?: string
  uses: string
  input: Record<string, unknown>
  actor: string
  dryRun: boolean
  reason?: string
  /** The token that asked; the executor checks every step against its scopes. */
  requester?: Requester
}

/** An API `POST /actions` for one action (a policy request is matched like any event). */
export function manualRequest(event: TandemEvent): ManualRequest | undefined {
  if (event.type !== 'manual' || typeof event.payload.uses !== 'string') return undefined
  return {
    runId: typeof event.payload.runId === 'string' ? event.payload.runId : undefined,
    uses: event.payload.uses,
    input: (event.payload.with ?? {}) as Record<string, unknown>,
    actor: event.labels.actor ?? 'api',
    dryRun: event.payload.dryRun === true,
    reason: typeof event.payload.reason === 'string' ? event.payload.reason : undefined,
    requester: requesterOf(event),
  }
}

/**
 * Who asked for a `manual` event's run: the API token the request came with. A manual event
 * without one (written before requesters were recorded) gets no scopes at all rather than the
 * daemon's: nothing it asks for runs.
 */
export function requesterOf(event: TandemEvent): Requester | undefined {
  if (event.type !== 'manual') return undefined
  const r = event.payload.requester as Partial<Requester> | undefined
  if (r && typeof r.name === 'string' && Array.isArray(r.scopes))
    return { name: r.name, scopes: r.scopes.filter((s): s is string => typeof s === 'string') }
  return { name: event.labels.actor ?? 'unknown', scopes: [] }
}

/** The run options of a policy request: its requester, actor and dry run. */
export function policyRequest(
  event: TandemEvent,
): { requester: Requester; actor: string; dryRun: boolean } | undefined {
  const requester = requesterOf(event)
  if (!requester || typeof event.payload.policy !== 'string') return undefined
  return { requester, actor: event.labels.actor ?? 'api', dryRun: event.payload.dryRun === true }
}

/** The queued row behind an API request for a policy run, if `event` is one. */
export function queuedPolicyRun(event: TandemEvent): string | undefined {
  if (event.type !== 'manual' || typeof event.payload.policy !== 'string') return undefined
  return typeof event.payload.runId === 'string' ? event.payload.runId : undefined
}

/** The outcome of a policy request whose policy did not fire (its trigger or `if:` refused it). */
export function notMatched(event: TandemEvent): QueuedOutcome {
  return {
    status: 'blocked',
    error: `[runtime] policy ${String(event.payload.policy)} did not fire for this request (unknown, not manual, or its if: is false)`,
  }
}

/** How often a request whose run is still going (resumed elsewhere in this process) is looked at. */
const RUN_POLL_MS = 500

/**
 * Runs a queued API action and records on the queued row which run carried it out. A request
 * this instance could not carry out because its lease lapsed under it (STALE_LEADER) is not
 * done, so its row is not closed: once `leadsAgain` says this instance re-took its lease with
 * the same token it is run again (the run key finds a run it began), still in its lane, so the
 * requests after it keep their order; otherwise the row stays `queued` for the next leader.
 */
export async function runQueuedAction(
  store: Store,
  executor: Executor,
  request: ManualRequest,
  /** The request's identity (its stored event): handled again after a crash, it is one run. */
  runKey?: string,
  options: {
    /** After a lapse: true once this instance leads again with the same token. */
    leadsAgain?: () => Promise<boolean>
    /** The instance is closing: stop waiting, leave the row queued for the next leader. */
    signal?: AbortSignal
  } = {},
): Promise<void> {
  const { leadsAgain = async () => false, signal } = options
  for (;;) {
    const report: QueuedOutcome | 'lapsed' = await executor
      .runManual(request.uses, request.input, {
        actor: request.actor,
        dryRun: request.dryRun,
        reason: request.reason,
        runKey,
        requester: request.requester,
      })
      .catch((error: Error) =>
        isStaleLeader(error)
          ? ('lapsed' as const)
          : { runId: undefined, status: 'failed', error: `[runtime] ${error.message}` },
      )
    if (report === 'lapsed') {
      if (!signal?.aborted && (await leadsAgain())) continue
      return
    }
    const outcome = report.status === 'running' ? await runEnded(store, report, signal) : report
    // Closing while the run goes on: the row stays queued; the next leader settles it.
    if (request.runId && outcome) await settleQueued(store, request.runId, outcome)
    return
  }
}

/** The outcome of a run another part of this process is carrying on (resumed after a lapse). */
async function runEnded(
  store: Store,
  report: QueuedOutcome,
  signal?: AbortSignal,
): Promise<QueuedOutcome | undefined> {
  while (!signal?.aborted) {
    const [row] = await store.db
      .select({ status: runs.status })
      .from(runs)
      .where(eq(runs.id, report.runId ?? ''))
    if (row?.status !== 'running') return { runId: report.runId, status: row?.status ?? 'failed' }
    await new Promise((resolve) => setTimeout(resolve, RUN_POLL_MS))
  }
  return undefined
}

/**
 * True once this instance leads again under `token` (its own lapsed lease re-taken); false as
 * soon as another token holds it, or after `limitMs`: the next leader's takeover then picks the
 * request up from its still-queued row (`strandedRequests`).
 */
export async function leadsAgainUnder(
  token: number | undefined,
  current: () => number | undefined,
  signal?: AbortSignal,
  limitMs = 120_000,
  pollMs = 250,
): Promise<boolean> {
  if (token === undefined) return false
  for (const end = Date.now() + limitMs; Date.now() < end && !signal?.aborted; ) {
    // First a pause: the token may not be dropped yet when the lapse is found by the clock.
    await new Promise((resolve) => setTimeout(resolve, pollMs))
    const now = current()
    if (now === token) return true
    if (now !== undefined) return false
  }
  return false
}

/** Closes a queued row with the outcome of the run that carried it out (act owns the runs). */
export async function settleQueued(
  store: Store,
  runId: string,
  outcome: QueuedOutcome,
): Promise<void> {
  await settleQueuedRun(store.db, runId, outcome)
}

/**
 * Runs requests on one subject one after another, in the order they were accepted: an operator
 * who asks for a drain and then a restore means that order. Side by side, the second found the
 * first's target busy (refused) or ran first, and the weight stayed 0.
 */
export function createRequestLanes() {
  const lanes = new Map<string, Promise<void>>()
  return (subject: string, work: () => Promise<void>): Promise<void> => {
    const before = lanes.get(subject) ?? Promise.resolve()
    const mine = before.then(work, work)
    const tail = mine.catch(() => undefined)
    lanes.set(subject, tail)
    void tail.finally(() => {
      if (lanes.get(subject) === tail) lanes.delete(subject)
    })
    return mine
  }
}

/**
 * API requests a previous leader took past the cursor but never settled: their queued row is
 * still `queued`, with no run recorded on it. An action it handed to a lane and never began, or
 * a policy whose run it died in (the cursor moves once a run has acted). After a crash nothing
 * else would carry them out or close their row. Oldest first, so their lanes keep the order
 * they were accepted in.
 */
export async function strandedRequests(store: Store, cursorName: string): Promise<TandemEvent[]> {
  const rows = await store.db
    .select({ event: events })
    .from(runs)
    .innerJoin(events, eq(events.id, sql`json_extract(${runs.trigger}, '$.eventId')`))
    .innerJoin(cursors, eq(cursors.name, cursorName))
    .where(
      and(
        eq(runs.status, 'queued'),
        eq(events.type, 'manual'),
        sql`${events.id} <= ${cursors.position}`,
        sql`json_extract(${runs.trigger}, '$.executedBy') IS NULL`,
      ),
    )
    .orderBy(events.id)
  return rows.map(({ event }) => ({
    id: event.id,
    type: event.type,
    subject: event.subject,
    at: event.at,
    labels: event.labels,
    payload: event.payload,
  })) as TandemEvent[]
}
