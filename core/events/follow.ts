// The leader follows the events table from a stored cursor, so a new leader resumes where the old stopped.
import { asc, eq, gt, sql } from 'drizzle-orm'
import { crashPoint } from '../crash-points.ts'
import { cursors, type Db, events, type Store } from '../store/index.ts'
import type { TandemEvent } from './types.ts'

/**
 * Hands every event stored after the cursor `name` to `handle`, in id order, then moves the
 * cursor. Events written by any instance (its probes, the API's ingest) reach the one leader.
 * A crash between handling and the cursor update replays a batch; the journal's idempotency
 * keys and open incidents make that harmless.
 *
 * @example
 * await followEvents(store, 'events:leader', (batch) => remediate(batch), { guard })
 */
export async function followEvents(
  store: Store,
  name: string,
  handle: (batch: TandemEvent[]) => Promise<void>,
  options: { limit?: number; guard?: (tx: Pick<Db, 'select'>) => Promise<void> } = {},
): Promise<number> {
  const { limit = 500, guard } = options
  const [cursor] = await store.db.select().from(cursors).where(eq(cursors.name, name))
  const rows = await store.db
    .select()
    .from(events)
    .where(gt(events.id, cursor?.position ?? 0))
    .orderBy(asc(events.id))
    .limit(limit)
  if (rows.length === 0) return 0
  await handle(rows.map((row) => ({ ...row, type: row.type as TandemEvent['type'] })))
  const position = rows[rows.length - 1]!.id
  crashPoint('events.cursor')
  // Under `guard` (the leader's fencing token) and never backwards: a leader that froze while
  // handling a batch must not rewind the cursor its successor has moved on since.
  await store.db.transaction(async (tx) => {
    await guard?.(tx)
    await tx
      .insert(cursors)
      .values({ name, position, updatedAt: Date.now() })
      .onConflictDoUpdate({
        target: cursors.name,
        set: { position: sql`max(${cursors.position}, ${position})`, updatedAt: Date.now() },
      })
  })
  return rows.length
}
