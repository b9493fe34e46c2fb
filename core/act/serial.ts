// One transaction at a time per database handle: the embedded libSQL client has one connection,
// and a second transaction (or query) while one is open fails with TRANSACTION_ACTIVE.
import type { Db } from '../store/index.ts'
import type { Tx } from './journal.ts'

const queues = new WeakMap<object, Promise<unknown>>()

/**
 * Runs `work` inside a write transaction (BEGIN IMMEDIATE) after every earlier one on the same
 * handle has finished; reads go through here too, so nothing meets an open transaction.
 *
 * @example
 * const run = await inTransaction(store.db, (tx) => loadRun(tx, runId))
 */
export function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  const previous = queues.get(db) ?? Promise.resolve()
  const next = previous.then(
    () => db.transaction(work),
    () => db.transaction(work),
  )
  queues.set(
    db,
    next.catch(() => {}),
  )
  return next
}
