// node-cron's RunCoordinator backed by store leases: each scheduled fire runs on one instance only.
import type { RunCoordinator } from 'node-cron'
import { acquireLease, type Db, pruneExpiredLeases } from '../store/index.ts'

const PREFIX = 'cron:'

/**
 * A coordinator for `cron.schedule(expr, job, { distributed: true, runCoordinator })`: the first
 * instance to claim a fire's key runs it; the others skip it.
 *
 * @example
 * cron.schedule('0 * * * *', housekeeping, { name: 'housekeeping', distributed: true,
 *   runCoordinator: createLeaseCoordinator(store.db, instanceId) })
 */
export function createLeaseCoordinator(db: Db, instanceId: string): RunCoordinator {
  let lastPrune = 0
  return {
    async shouldRun(key, ttlMs) {
      const now = Date.now()
      if (now - lastPrune > 3_600_000) {
        lastPrune = now
        await pruneExpiredLeases(db, PREFIX, now - 86_400_000)
      }
      // A fire's key is unique (name + slot); whoever inserts it first owns that fire.
      const lease = await acquireLease(
        db,
        `${PREFIX}${key}`,
        instanceId,
        Math.max(ttlMs, 1_000),
        now,
      )
      return lease?.holder === instanceId && lease.token === 1
    },
  }
}
