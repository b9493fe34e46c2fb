// Fence state per node and the fence-before-recover rule: recovery waits for a confirmed fence.
import { and, eq, sql } from 'drizzle-orm'
import { fenceStates } from '../store/index.ts'
import { FAILING_STATES, nodeHealth } from './facts.ts'
import type { Tx } from './journal.ts'
import type { ClusterSnapshot } from './types.ts'

/** True when this incident already fenced `node` and confirmed it off. */
export async function fencedInIncident(tx: Tx, node: string, incidentId: string) {
  const rows = await tx
    .select({ node: fenceStates.node })
    .from(fenceStates)
    .where(
      and(
        eq(fenceStates.node, node),
        eq(fenceStates.state, 'fenced'),
        eq(fenceStates.incidentId, incidentId),
      ),
    )
  return rows.length > 0
}

/**
 * May services of `node` be recovered elsewhere? Only when a fence of it in this incident
 * succeeded and was verified off, and the node is not answering: the health store has it
 * down/unreachable, or the cluster does not count it as a member.
 */
export async function fenceConfirmed(
  tx: Tx,
  node: string,
  incidentId: string,
  cluster: ClusterSnapshot,
): Promise<{ ok: boolean; reason: string }> {
  if (!(await fencedInIncident(tx, node, incidentId))) {
    const [row] = await tx.select().from(fenceStates).where(eq(fenceStates.node, node))
    const state = row
      ? `${row.state}${row.failures ? `, ${row.failures} failed fence(s)` : ''}`
      : 'never fenced'
    return { ok: false, reason: `${node} is not confirmed fenced in this incident (${state})` }
  }
  const health = await nodeHealth(tx, node)
  const gone =
    (health !== undefined && FAILING_STATES.includes(health)) ||
    (cluster.members !== null && !cluster.members.includes(node)) ||
    (cluster.fenced?.includes(node) ?? false)
  if (!gone)
    return {
      ok: false,
      reason: `${node} was fenced but still answers (health: ${health ?? 'unknown'}, cluster member: ${cluster.members?.includes(node) ?? 'unknown'})`,
    }
  return { ok: true, reason: `${node} fenced in this incident and not answering` }
}

/** A fence is about to fire: the node is unclean until it is confirmed off. */
export async function fenceStarting(tx: Tx, node: string, incidentId: string, now: number) {
  await tx
    .insert(fenceStates)
    .values({ node, state: 'unclean', incidentId, updatedAt: now })
    .onConflictDoUpdate({
      target: fenceStates.node,
      set: { state: 'unclean', incidentId, updatedAt: now },
    })
}

export async function fenceSucceeded(
  tx: Tx,
  node: string,
  incidentId: string,
  method: string,
  now: number,
) {
  await tx
    .update(fenceStates)
    .set({ state: 'fenced', incidentId, method, failures: 0, updatedAt: now })
    .where(eq(fenceStates.node, node))
}

export async function fenceFailed(tx: Tx, node: string, incidentId: string, now: number) {
  await tx
    .update(fenceStates)
    .set({
      state: 'unclean',
      incidentId,
      failures: sql`${fenceStates.failures} + 1`,
      updatedAt: now,
    })
    .where(eq(fenceStates.node, node))
}
