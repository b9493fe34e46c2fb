// Named leases in the store with fencing tokens: one leader, one runner per cron fire, no stale writers.
import { and, eq, gt, lt, sql } from 'drizzle-orm'
import { TandemError } from '../errors.ts'
import type { Db } from './open.ts'
import { leases } from './schema.ts'

export interface Lease {
  name: string
  holder: string
  /** Increases every time the lease changes hands; writes carry it and stale ones are refused. */
  token: number
  expiresAt: number
}

/**
 * Takes or renews `name` for `holder` for `ttlMs`. Renewal keeps the token, and so does a holder
 * that re-takes its own lapsed lease with nobody in between (same holder, same epoch, as
 * Pacemaker and etcd do): nobody else can have written under a newer one. A takeover of an
 * expired lease by another holder increments it. Returns undefined while someone else holds it.
 * `now` defaults to the time the write runs, not the time it was asked for (it may wait its turn).
 *
 * @example
 * const lease = await acquireLease(store.db, 'leader', instanceId, 10_000)
 * if (lease) await runRemediation(lease.token)
 */
export async function acquireLease(
  db: Db,
  name: string,
  holder: string,
  ttlMs: number,
  at?: number,
): Promise<Lease | undefined> {
  // drizzle's libSQL transaction is BEGIN IMMEDIATE: the read and the write cannot interleave.
  return db.transaction(async (tx) => {
    const now = at ?? Date.now()
    const [current] = await tx.select().from(leases).where(eq(leases.name, name))
    const expiresAt = now + ttlMs
    if (!current) {
      await tx.insert(leases).values({ name, holder, token: 1, expiresAt })
      return { name, holder, token: 1, expiresAt }
    }
    // Its own lease, held or lapsed: the row still names it, so nobody took it in between.
    if (current.holder === holder) {
      await tx.update(leases).set({ expiresAt }).where(eq(leases.name, name))
      return { ...current, expiresAt }
    }
    if (current.expiresAt > now) return undefined
    const token = current.token + 1
    await tx.update(leases).set({ holder, token, expiresAt }).where(eq(leases.name, name))
    return { name, holder, token, expiresAt }
  })
}

/** Gives a lease up early (clean shutdown) so a successor need not wait for expiry. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db
    .update(leases)
    .set({ expiresAt: 0 })
    .where(and(eq(leases.name, name), eq(leases.holder, holder)))
}

/**
 * Refuses a write made under a stale token: call it inside the same transaction as the write.
 * A paused-then-resumed old leader finds its token superseded and its write rolled back.
 */
export async function assertLeaseToken(
  tx: Pick<Db, 'select'>,
  name: string,
  token: number,
  now: number = Date.now(),
): Promise<void> {
  const [current] = await tx
    .select({ token: leases.token, expiresAt: leases.expiresAt })
    .from(leases)
    .where(eq(leases.name, name))
  if (!current || current.token !== token || current.expiresAt <= now)
    throw new TandemError(
      'STALE_LEADER',
      `[lease] ${name} token ${token} is no longer current (now ${current?.token ?? 'none'}): refusing to write`,
    )
}

/** Forgets per-fire cron claims that expired long ago, so the table stays small. */
export async function pruneExpiredLeases(db: Db, prefix: string, olderThan: number): Promise<void> {
  await db
    .delete(leases)
    .where(and(sql`${leases.name} LIKE ${`${prefix}%`}`, lt(leases.expiresAt, olderThan)))
}

/** Current holder of a lease that has not expired, if any. */
export async function leaseHolder(
  db: Db,
  name: string,
  now: number = Date.now(),
): Promise<Lease | undefined> {
  const [row] = await db
    .select()
    .from(leases)
    .where(and(eq(leases.name, name), gt(leases.expiresAt, now)))
  return row
}
