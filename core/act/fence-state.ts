// Fence state per node and failure episode, and the rule: recovery waits for a fence of this episode.
import { and, eq, sql } from 'drizzle-orm'
import { events, fenceStates } from '../store/index.ts'
import { FAILING_STATES, nodeHealth } from './facts.ts'
import type { Tx } from './journal.ts'
import type { ClusterSnapshot } from './types.ts'

/**
 * When `node`'s current failure episode began: the last time it rejoined (`node.up`), 0 if it
 * never did. A fence counts only when confirmed after that. A `node.down` seen after a confirmed
 * fence with no rejoin in between is the fence's own effect, not a new episode.
 */
export async function episodeStart(tx: Tx, node: string): Promise<number> {
  const [row] = await tx
    .select({ at: sql<number | null>`max(${events.at})` })
    .from(events)
    .where(and(eq(events.type, 'node.up'), eq(events.subject, node)))
  return row?.at ?? 0
}

/** The confirmed fence of `node` in its current episode, if there is one. */
export async function fencedThisEpisode(
  tx: Tx,
  node: string,
): Promise<{ confirmedAt: number; incidentId: string | null } | undefined> {
  const [row] = await tx.select().from(fenceStates).where(eq(fenceStates.node, node))
  if (row?.state !== 'fenced' || row.confirmedAt === null) return undefined
  if (row.confirmedAt <= (await episodeStart(tx, node))) return undefined
  return { confirmedAt: row.confirmedAt, incidentId: row.incidentId }
}

/**
 * May services of `node` be recovered elsewhere? Only when a fence of it was confirmed in its
 * current failure episode (after it last rejoined) and the node still does not answer.
 */
export async function fenceConfirmed(
  tx: Tx,
  node: string,
  cluster: ClusterSnapshot,
): Promise<{ ok: boolean; reason: string }> {
  const fence = await fencedThisEpisode(tx, node)
  if (!fence) {
    const [row] = await tx.select().from(fenceStates).where(eq(fenceStates.node, node))
    const state = row
      ? `${row.state}${row.failures ? `, ${row.failures} failed fence(s)` : ''}${row.reason ? `: ${row.reason}` : ''}`
      : 'never fenced'
    return {
      ok: false,
      reason: `${node} is not confirmed fenced since its latest failure (${state})`,
    }
  }
  const answering = await stillAnswers(tx, node, cluster)
  if (answering) return { ok: false, reason: `${node} was fenced but ${answering}` }
  return {
    ok: true,
    reason: `${node} fenced at ${new Date(fence.confirmedAt).toISOString()} and not answering`,
  }
}

/**
 * Why `node` still looks alive (health up, still a cluster member), or undefined when it does
 * not answer: the health store has it down/unreachable, or the cluster does not count it.
 */
export async function stillAnswers(
  tx: Tx,
  node: string,
  cluster: ClusterSnapshot,
): Promise<string | undefined> {
  const health = await nodeHealth(tx, node)
  const gone =
    (health !== undefined && FAILING_STATES.includes(health)) ||
    (cluster.members !== null && !cluster.members.includes(node)) ||
    (cluster.fenced?.includes(node) ?? false)
  if (gone) return undefined
  return `still answers (health: ${health ?? 'unknown'}, cluster member: ${cluster.members?.includes(node) ?? 'unknown'})`
}

/**
 * A fence is about to fire (or, `acceptedAt`, an accepted power-off is about to be read back):
 * the node is unclean until the fence is confirmed.
 */
export async function fenceStarting(
  tx: Tx,
  node: string,
  incidentId: string,
  now: number,
  acceptedAt?: number,
) {
  const set = {
    state: 'unclean',
    incidentId,
    confirmedAt: null,
    reason:
      acceptedAt === undefined
        ? 'a fence is running'
        : `re-reading the status of the power-off accepted at ${new Date(acceptedAt).toISOString()}`,
    updatedAt: now,
  }
  await tx
    .insert(fenceStates)
    .values({ node, ...set })
    .onConflictDoUpdate({ target: fenceStates.node, set })
}

/** The agent says off and the node no longer answers: fenced, for this episode. */
export async function fenceSucceeded(
  tx: Tx,
  node: string,
  incidentId: string,
  method: string,
  now: number,
) {
  await tx
    .update(fenceStates)
    .set({
      state: 'fenced',
      incidentId,
      method,
      failures: 0,
      confirmedAt: now,
      reason: null,
      updatedAt: now,
    })
    .where(eq(fenceStates.node, node))
}

/**
 * The fence failed, or the node contradicts it by answering: unclean, with the reason.
 * `offAcceptedAt`: a device accepted the power-off but its status never confirmed it.
 */
export async function fenceFailed(
  tx: Tx,
  node: string,
  incidentId: string,
  now: number,
  reason: string,
  offAcceptedAt?: number,
) {
  await tx
    .update(fenceStates)
    .set({
      state: 'unclean',
      incidentId,
      failures: sql`${fenceStates.failures} + 1`,
      confirmedAt: null,
      reason,
      ...(offAcceptedAt === undefined ? {} : { offAcceptedAt }),
      updatedAt: now,
    })
    .where(eq(fenceStates.node, node))
}

/**
 * When a device accepted a power-off of `node` in its current episode that was never confirmed:
 * a later fence step only re-reads status (one power-off per episode), never switches again.
 */
export async function offAcceptedThisEpisode(tx: Tx, node: string): Promise<number | undefined> {
  const [row] = await tx
    .select({ at: fenceStates.offAcceptedAt })
    .from(fenceStates)
    .where(eq(fenceStates.node, node))
  if (!row?.at || row.at <= (await episodeStart(tx, node))) return undefined
  return row.at
}
