// Atomic multi-statement writes where some statements are guarded by a row revision.
import type { Client, InStatement } from '@libsql/client'

/** One statement of a write; `guard` statements must change a row, else another writer won. */
export interface Write {
  stmt: InStatement
  guard?: boolean
}

/**
 * Runs `writes` in one write transaction (`BEGIN IMMEDIATE`). Returns false when a guarded
 * statement changed nothing: another instance updated the same row first; the caller re-reads
 * and tries again (every write here is safe to repeat).
 *
 * @example
 * if (!(await commit(client, [{ stmt, guard: true }]))) retry()
 */
export async function commit(client: Client, writes: readonly Write[]): Promise<boolean> {
  if (writes.length === 0) return true
  const results = await client.batch(
    writes.map((w) => w.stmt),
    'write',
  )
  return writes.every((w, i) => !w.guard || (results[i]?.rowsAffected ?? 0) > 0)
}

/**
 * Calls `attempt` until it commits (true) or `tries` run out; each attempt re-reads its rows.
 * Losing every try means heavy contention on one row: the caller logs it and moves on.
 */
export async function withRetry(attempt: () => Promise<boolean>, tries = 5): Promise<boolean> {
  for (let i = 0; i < tries; i++) if (await attempt()) return true
  return false
}
