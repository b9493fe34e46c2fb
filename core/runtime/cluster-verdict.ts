// Whether health has a verdict on the cluster yet: until it has, the executor refuses destructive steps.
import { eq } from 'drizzle-orm'
import { healthStates, type Store } from '../store/index.ts'

/** How often the cluster row is read while waiting. */
const POLL_MS = 100

/**
 * Resolves true once the `cluster` health row holds a state other than `unknown` (quorum is
 * known), false when `timeoutMs` passed first.
 *
 * @example
 * if (!(await clusterVerdict(store, 30_000))) log.warn('[runtime] no quorum verdict yet')
 */
export async function clusterVerdict(store: Store, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [row] = await store.db
      .select()
      .from(healthStates)
      .where(eq(healthStates.target, 'cluster'))
    if (row && row.state !== 'unknown') return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}
