// The leader follows the events table from a stored cursor, so a new leader resumes where the old stopped.
import { asc, eq, gt, sql } from 'drizzle-orm'
import { crashPoint } from '../crash-points.ts'
import { cursors, type Db, events, type Store } from '../store/index.ts'
import type { TandemEvent } from './types.ts'

/**
 * Hands every event stored after the cursor `name` to `handle`, in id order, `chunk` events at a
 * time, and moves the cursor after each chunk: a long backlog (a restart after a busy outage)
 * makes progress even when a later chunk is cut short (a lapsed lease, a crash). Events written
 * by any instance (its probes, the API's ingest) reach the one leader. A crash between handling
 * and the cursor update replays a chunk; the journal's idempotency keys and open incidents make
 * that harmless.
 *
 * @example
 * await followEvents(store, 'events:leader', (batch) => remediate(batch), { guard })
 */
export async function followEvents(
  store: Store,
  name: string,
  handle: (batch: TandemEvent[]) => Promise<void>,
  options: {
    limit?: number
    chunk?: number
    guard?: (tx: Pick<Db, 'select'>) => Promise<void>
  } = {},
): Promise<number> {
  const { limit = 500, chunk = 20, guard } = options
  const [cursor] = await store.db.select().from(cursors).where(eq(cursors.name, name))
  const rows = await store.db
    .select()
    .from(events)
    .where(gt(events.id, cursor?.position ?? 0))
    .orderBy(asc(events.id))
    .limit(limit)
  for (let from = 0; from < rows.length; from += chunk) {
    const part = rows.slice(from, from + chunk)
    await handle(part.map((row) => ({ ...row, type: row.type as TandemEvent['type'] })))
    await moveCursor(store, name, part[part.length - 1]!.id, guard)
  }
  return rows.length
}

async function moveCursor(
  store: Store,
  name: string,
  position: number,
  guard?: (tx: Pick<Db, 'select'>) => Promise<void>,
): Promise<void> {
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
}
