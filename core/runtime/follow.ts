// The leader follows the events table from a stored cursor, so a new leader resumes where the old stopped.
import { asc, eq, gt } from 'drizzle-orm'
import type { TandemEvent } from '../health/index.ts'
import { cursors, events, type Store } from '../store/index.ts'

/**
 * Hands every event stored after the cursor `name` to `handle`, in id order, then moves the
 * cursor. Events written by any instance (its probes, the API's ingest) reach the one leader.
 * A crash between handling and the cursor update replays a batch; the journal's idempotency
 * keys and open incidents make that harmless.
 *
 * @example
 * await followEvents(store, 'events:leader', (batch) => remediate(batch))
 */
export async function followEvents(
  store: Store,
  name: string,
  handle: (batch: TandemEvent[]) => Promise<void>,
  limit = 500,
): Promise<number> {
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
  await store.db
    .insert(cursors)
    .values({ name, position, updatedAt: Date.now() })
    .onConflictDoUpdate({ target: cursors.name, set: { position, updatedAt: Date.now() } })
  return rows.length
}
