// The runs an instance started and has not seen end: one failing never stops the loop, and close waits for all.
import { isStaleLeader } from '../act/index.ts'
import type { Logger } from '../log.ts'

/** Runs in flight: track one, or wait until none is left. */
export interface RunTracker {
  /** Follows `work` to its end; a failure is logged, never thrown into the loop that began it. */
  track(work: Promise<unknown>): void
  /** Resolves once every tracked run has ended, those tracked while waiting included. */
  settle(): Promise<void>
}

/**
 * Tracks the runs the leader loop hands to the executor without waiting for them.
 *
 * @example
 * const runs = createRunTracker(log)
 * runs.track(executor.execute(plan))
 * await runs.settle()
 */
export function createRunTracker(log: Logger): RunTracker {
  const inFlight = new Set<Promise<unknown>>()
  return {
    track(work) {
      const settled = work.catch((error) =>
        // A lapsed lease is the normal end of a run on a former leader: the new one finishes it.
        isStaleLeader(error)
          ? log.warn('[runtime] run left to the current leader: this instance no longer leads', {
              code: 'STALE_LEADER',
              error: String(error),
            })
          : log.error('[runtime] run failed', { error: String(error) }),
      )
      inFlight.add(settled)
      void settled.finally(() => inFlight.delete(settled))
    },
    async settle() {
      while (inFlight.size > 0) await Promise.all([...inFlight])
    },
  }
}
