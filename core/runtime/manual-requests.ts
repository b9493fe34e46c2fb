// Requests queued through `POST /api/v1/actions`: run them, and close the queued row with the outcome.
import { and, eq, sql } from 'drizzle-orm'
import { type Executor, type QueuedOutcome, settleQueuedRun } from '../act/index.ts'
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

/** Runs a queued API action and records on the queued row which run carried it out. */
export async function runQueuedAction(
  store: Store,
  executor: Executor,
  request: ManualRequest,
  /** The request's identity (its stored event): handled again after a crash, it is one run. */
  runKey?: string,
): Promise<void> {
  const report = await executor
    .runManual(request.uses, request.input, {
      actor: request.actor,
      dryRun: request.dryRun,
      reason: request.reason,
      runKey,
      requester: request.requester,
    })
    .catch((error: Error) => ({ runId: undefined, status: 'failed', error: error.message }))
  if (request.runId) await settleQueued(store, request.runId, report)
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
