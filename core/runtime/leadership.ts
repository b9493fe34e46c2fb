// Leadership: one instance holds the `leader` lease and runs remediation; the rest stand by.

import type { Logger } from '../log.ts'
import { acquireLease, releaseLease, type Store } from '../store/index.ts'

export const LEADER_LEASE = 'leader'

/** This instance's view of the leader lease, renewed on a timer or by the serverless tick. */
export interface Leadership {
  /** The fencing token while this instance leads; undefined otherwise. */
  token(): number | undefined
  /** Takes or renews the lease; returns true when this instance leads (and became leader: `gained`). */
  renew(now?: number): Promise<{ leading: boolean; gained: boolean }>
  release(): Promise<void>
}

/**
 * Leadership over `store` for `instanceId`. A lost renewal drops the token at once, so an
 * instance that was paused past its lease stops acting before it can write (see fencing tokens).
 *
 * @example
 * const leader = createLeadership(store, id, 10_000, log)
 * if ((await leader.renew()).gained) await executor.recover()
 */
export function createLeadership(
  store: Store,
  instanceId: string,
  ttlMs: number,
  log: Logger,
): Leadership {
  let token: number | undefined
  let expiresAt = 0
  return {
    token: () => (token !== undefined && Date.now() < expiresAt ? token : undefined),
    async renew(now = Date.now()) {
      const was = token
      const lease = await acquireLease(store.db, LEADER_LEASE, instanceId, ttlMs, now).catch(
        (error) => {
          log.warn('[runtime] leader lease renewal failed', { error: String(error) })
          return undefined
        },
      )
      token = lease?.token
      expiresAt = lease?.expiresAt ?? 0
      if (was !== undefined && token !== was)
        log.warn('[runtime] lost leadership', { instance: instanceId })
      const gained = token !== undefined && token !== was
      if (gained) log.info('[runtime] leading', { instance: instanceId, token })
      return { leading: token !== undefined, gained }
    },
    async release() {
      if (token !== undefined) await releaseLease(store.db, LEADER_LEASE, instanceId)
      token = undefined
    },
  }
}
