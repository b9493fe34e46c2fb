// Leadership: one instance holds the `leader` lease and runs remediation; the rest stand by.

import { TandemError } from '../errors.ts'
import type { Logger } from '../log.ts'
import {
  acquireLease,
  assertLeaseToken,
  type Db,
  releaseLease,
  type Store,
} from '../store/index.ts'

export const LEADER_LEASE = 'leader'

/** This instance's view of the leader lease, renewed on a timer or by the serverless tick. */
export interface Leadership {
  /** The fencing token while this instance leads; undefined otherwise. */
  token(): number | undefined
  /**
   * Takes or renews the lease; returns true when this instance leads, and `gained` when it was
   * not leading just before (a takeover, or its own lapsed lease re-taken with the same token).
   * Calls while a renewal is in flight share it: late renewals never queue up behind each other.
   */
  renew(now?: number): Promise<{ leading: boolean; gained: boolean }>
  /**
   * Throws STALE_LEADER unless this instance still leads with `token`: by its own clock, and
   * (given `tx`) in the store, inside the transaction that is about to write.
   */
  check(token: number, tx?: Pick<Db, 'select'>): Promise<void>
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
  let renewing: Promise<{ leading: boolean; gained: boolean }> | undefined
  const current = () => (token !== undefined && Date.now() < expiresAt ? token : undefined)
  const renewNow = async (now?: number) => {
    // Held by its own clock just before: a lease that lapsed meanwhile is gained again below.
    const held = current()
    const lease = await acquireLease(store.db, LEADER_LEASE, instanceId, ttlMs, now).catch(
      (error) => {
        log.warn('[runtime] leader lease renewal failed', { error: String(error) })
        return undefined
      },
    )
    const was = token
    token = lease?.token
    expiresAt = lease?.expiresAt ?? 0
    if (was !== undefined && token !== was)
      log.warn('[runtime] lost leadership', { instance: instanceId })
    const gained = token !== undefined && token !== held
    if (gained) {
      if (token === was)
        log.warn('[runtime] lease lapsed and re-taken with the same token: nobody led meanwhile', {
          instance: instanceId,
          token,
        })
      else log.info('[runtime] leading', { instance: instanceId, token })
    }
    return { leading: token !== undefined, gained }
  }
  return {
    token: current,
    async check(expected, tx) {
      if (current() !== expected)
        throw new TandemError(
          'STALE_LEADER',
          `[runtime] ${instanceId} no longer leads with token ${expected}: refusing to write`,
        )
      if (tx) await assertLeaseToken(tx, LEADER_LEASE, expected)
    },
    renew(now) {
      renewing ??= renewNow(now).finally(() => {
        renewing = undefined
      })
      return renewing
    },
    async release() {
      if (token !== undefined) await releaseLease(store.db, LEADER_LEASE, instanceId)
      token = undefined
    },
  }
}
