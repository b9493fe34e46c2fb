// Splits probe work between live instances: heartbeats in the store and rendezvous hashing.
import { createHash } from 'node:crypto'
import { eq, gt, lt } from 'drizzle-orm'
import type { Logger } from '../log.ts'
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

/** The part of Monitoring that sharding drives. */
interface Reshardable {
  reshard(owns: (key: string) => boolean): Promise<void>
  /** Each heartbeat, live set changed or not. */
  beat(): Promise<void>
}

/** A running heartbeat: the current view, and stop(). */
export interface Sharding {
  view(): ShardView
  stop(): Promise<void>
}

/**
 * Beats every `everyMs` (an instance is dead after three missed beats) and re-plans the probes
 * whenever the live set changes: a joiner takes its share, a dead instance's share moves to
 * the survivors. `first` is the view monitoring started with.
 *
 * @example
 * const first = await heartbeat(store.db, id, 3 * everyMs)
 * const monitoring = await startMonitoring({ ..., owns: first.owns })
 * const sharding = startSharding(store.db, first, monitoring, { everyMs, log })
 */
export function startSharding(
  db: Db,
  first: ShardView,
  monitoring: Reshardable,
  options: { everyMs: number; log: Logger },
): Sharding {
  let current = first
  let beating = Promise.resolve()
  const timer = setInterval(() => {
    beating = beating.then(async () => {
      try {
        const next = await heartbeat(db, current.instanceId, 3 * options.everyMs)
        if (next.live.join() === current.live.join()) return await monitoring.beat()
        options.log.info('[runtime] live instances changed', { live: next.live })
        current = next
        await monitoring.reshard(next.owns)
      } catch (error) {
        options.log.error('[runtime] heartbeat failed', { error: String(error) })
      }
    })
  }, options.everyMs)
  return {
    view: () => current,
    async stop() {
      clearInterval(timer)
      await beating
      await db
        .delete(instances)
        .where(eq(instances.id, current.instanceId))
        .catch(() => {})
    },
  }
}
