// After a fence agent says off: wait, bounded, for the node to go silent before judging the fence.
import type { RunScope } from './engine.ts'
import { stillAnswers } from './fence-state.ts'
import type { ClusterSnapshot } from './types.ts'

/** How often the health store (monitor verdict, cluster membership) is read while waiting. */
const POLL_MS = 500

/**
 * The cluster view once `node` no longer answers, or the last one read when `waitMs` ran out
 * (null: no view could be read). A node fenced while it still ran (a GFS withdraw, not a crash)
 * answers for a few seconds after the power-off: the monitor needs its fall count, the cluster
 * its token timeout, to see it gone. Judging the fence at once called every such fence a lie.
 * The caller still refuses the fence if the node answers when this returns.
 *
 * @example
 * const cluster = await silenceAfterFence(scope, 'node3', step.timeoutMs)
 */
export async function silenceAfterFence(
  scope: RunScope,
  node: string,
  waitMs: number,
): Promise<ClusterSnapshot | null> {
  const { engine } = scope
  // Counted, not timed: a test clock whose sleep returns at once still ends the wait.
  for (let left = Math.ceil(waitMs / POLL_MS); ; left--) {
    const cluster = await engine.clusterView.snapshot().catch(() => null)
    if (!cluster || left <= 0) return cluster
    const answering = await engine.tx((tx) => stillAnswers(tx, node, cluster))
    if (!answering) return cluster
    await engine.clock.sleep(POLL_MS)
  }
}
