// Cluster views: what quorum and membership look like, from the health store or a fixed answer.
import { eq } from 'drizzle-orm'
import type { Inventory } from '../inventory/index.ts'
import { type Db, healthStates } from '../store/index.ts'
import type { ClusterSnapshot, ClusterView } from './types.ts'

/**
 * Reads quorum and membership from the health store: target `cluster` (state `up` = quorate,
 * `down` = inquorate; `detail.members` when the membership probe wrote it) and, failing that,
 * each cluster node's own state. Anything not known stays null, so destructive steps fail closed.
 *
 * @example
 * const clusterView = createHealthClusterView(store.db, inventory)
 */
export function createHealthClusterView(db: Db, inventory: Inventory): ClusterView {
  return {
    async snapshot(): Promise<ClusterSnapshot> {
      const [row] = await db.select().from(healthStates).where(eq(healthStates.target, 'cluster'))
      const detail = (row?.detail ?? {}) as { members?: unknown; fenced?: unknown }
      const quorate = row ? (row.state === 'up' ? true : row.state === 'down' ? false : null) : null
      const members = Array.isArray(detail.members) ? detail.members.map(String) : null
      const fenced = Array.isArray(detail.fenced) ? detail.fenced.map(String) : undefined
      if (!inventory.config.cluster)
        return { quorate, members, fenced, source: 'no cluster manager configured' }
      return {
        quorate,
        members,
        ...(fenced ? { fenced } : {}),
        source: row ? 'health store (cluster)' : 'health store: no cluster state yet',
      }
    },
  }
}

/** A view that always answers the same (tests, `tandem exec --assume-quorate` style tools). */
export function fixedClusterView(snapshot: ClusterSnapshot): ClusterView {
  return { snapshot: async () => snapshot }
}
