// Runs a request queued through the API: the row written when it is accepted, and its settling.
import { eq, type SQL } from 'drizzle-orm'
import { runs } from '../store/index.ts'
import type { Tx } from './journal.ts'

/** A request's row as the API accepts it: status `queued` until the run that carries it out ends. */
export interface QueuedRun {
  id: string
  policy: string
  /** The request (kind, uses or policy, inputs, requester); SQL to fill in the event's id. */
  trigger: SQL
  dryRun: boolean
  actor: string
  startedAt: number
}

/** What a queued row learns when its request has been carried out. */
export interface QueuedOutcome {
  runId?: string
  status: string
  error?: string
}

/**
 * The statement that writes a queued row, for the caller's `db.batch` beside the request's
 * event and audit entry (accepted together or not at all).
 */
export function insertQueuedRun(db: Tx, run: QueuedRun) {
  return db.insert(runs).values({ ...run, status: 'queued' })
}

/**
 * Closes a queued row (status `queued` since the API accepted it) with the outcome of the run
 * that carried it out, so the journal never shows a request as waiting once it is done.
 */
export async function settleQueuedRun(
  db: Tx,
  runId: string,
  outcome: QueuedOutcome,
): Promise<void> {
  const [row] = await db.select().from(runs).where(eq(runs.id, runId))
  if (!row) return
  await db
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
