// Splits probe work between live instances: heartbeats in the store and rendezvous hashing.
import { createHash } from 'node:crypto'
import { gt, lt } from 'drizzle-orm'
import { type Db, instances } from '../store/index.ts'

/** The live instances as this one sees them, and which targets are its own. */
export interface ShardView {
  instanceId: string
  live: readonly string[]
  /** True when this instance probes `target` (highest rendezvous score among live instances). */
  owns(target: string): boolean
}

/**
 * Records this instance's heartbeat and returns the live set (heartbeat within `staleMs`).
 * Instances that stopped beating drop out and their targets move to the survivors.
 *
 * @example
 * const view = await heartbeat(store.db, id, 15_000)
 * checks.filter((c) => view.owns(c.target))
 */
export async function heartbeat(
  db: Db,
  instanceId: string,
  staleMs: number,
  now = Date.now(),
): Promise<ShardView> {
  await db
    .insert(instances)
    .values({ id: instanceId, startedAt: now, heartbeatAt: now })
    .onConflictDoUpdate({ target: instances.id, set: { heartbeatAt: now } })
  const rows = await db
    .select({ id: instances.id })
    .from(instances)
    .where(gt(instances.heartbeatAt, now - staleMs))
  await db.delete(instances).where(lt(instances.heartbeatAt, now - 10 * staleMs))
  return shardView(instanceId, rows.map((r) => r.id).sort())
}

/** A view over a known live set (the serverless tick and tests build one directly). */
export function shardView(instanceId: string, live: readonly string[]): ShardView {
  const members = live.includes(instanceId) ? live : [...live, instanceId]
  return {
    instanceId,
    live: members,
    owns: (target) => ownerOf(target, members) === instanceId,
  }
}

/** Rendezvous (highest random weight) hashing: only 1/n of targets move when n changes. */
export function ownerOf(target: string, live: readonly string[]): string | undefined {
  let best: string | undefined
  let bestScore = -1n
  for (const instance of live) {
    const score = createHash('sha1').update(`${instance}\0${target}`).digest().readBigUInt64BE(0)
    if (score > bestScore) {
      best = instance
      bestScore = score
    }
  }
  return best
}
