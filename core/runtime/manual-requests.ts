// Requests queued through `POST /api/v1/actions`: run them, and close the queued row with the outcome.
import { eq } from 'drizzle-orm'
import type { Executor } from '../act/index.ts'
import type { TandemEvent } from '../health/index.ts'
import { runs, type Store } from '../store/index.ts'

export interface ManualRequest {
  runId?: string
  uses: string
  input: Record<string, unknown>
  actor: string
  dryRun: boolean
  reason?: string
}

/** What a queued row learns when its request has been carried out. */
interface Outcome {
  runId?: string
  status: string
  error?: string
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
  }
}

/** The queued row behind an API request for a policy run, if `event` is one. */
export function queuedPolicyRun(event: TandemEvent): string | undefined {
  if (event.type !== 'manual' || typeof event.payload.policy !== 'string') return undefined
  return typeof event.payload.runId === 'string' ? event.payload.runId : undefined
}

/** The outcome of a policy request whose policy did not fire (its trigger or `if:` refused it). */
export function notMatched(event: TandemEvent): Outcome {
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
    })
    .catch((error: Error) => ({ runId: undefined, status: 'failed', error: error.message }))
  if (request.runId) await settleQueued(store, request.runId, report)
}

/**
 * Closes a queued row (status `queued` since the API accepted it) with the outcome of the run
 * that carried it out, so the journal never shows a request as waiting once it is done.
 */
export async function settleQueued(store: Store, runId: string, outcome: Outcome): Promise<void> {
  const [row] = await store.db.select().from(runs).where(eq(runs.id, runId))
  if (!row) return
  await store.db
    .update(runs)
    .set({
      status:
        outcome.status === 'succeeded'
          ? 'succeeded'
          : outcome.status === 'blocked'
            ? 'blocked'
            : 'failed',
      trigger: { ...row.trigger, executedBy: outcome.runId, error: outcome.error },
      finishedAt: Date.now(),
    })
    .where(eq(runs.id, runId))
}
