// Reads every health row in one round trip, and a cheap fingerprint of what the status view depends on.
import type { Store } from '../../store/index.ts'
import type { Health, TargetState } from './cluster-status.ts'

export interface HealthRow {
  target: string
  kind: string
  health: Health
}

/**
 * All health rows, without details. The libSQL client costs ~20 µs per row it hands back, so
 * 10,000 rows come back as one tab-separated text built by SQLite and are split here.
 */
export async function readHealth(store: Store): Promise<HealthRow[]> {
  const result = await store.client.execute(
    `SELECT group_concat(target || char(9) || kind || char(9) || state || char(9) || since || char(9) || flapping || char(9) || state_type, char(10)) AS t FROM health_states`,
  )
  const text = result.rows[0]?.t
  if (typeof text !== 'string' || text === '') return []
  return text.split('\n').map((line) => {
    const [
      target = '',
      kind = '',
      state = 'unknown',
      since = '0',
      flapping = '0',
      stateType = 'hard',
    ] = line.split('\t')
    const health: Health = { state: state as TargetState, since: Number(since) }
    if (flapping === '1') health.flapping = true
    if (stateType === 'soft') health.soft = true
    return { target, kind, health }
  })
}

/**
 * Changes whenever anything the status view shows changes: health and fence rows (count and
 * newest update), open incidents, pending approvals, active silences. One query, indexed.
 */
export async function statusFingerprint(store: Store, now: number): Promise<string> {
  const result = await store.client.execute({
    sql: `SELECT (SELECT max(updated_at) FROM health_states), (SELECT count(*) FROM health_states),
      (SELECT max(updated_at) FROM fence_states), (SELECT count(*) FROM fence_states),
      (SELECT count(*) FROM incidents WHERE status = 'open'),
      (SELECT count(*) FROM approvals WHERE status = 'pending' AND expires_at > ?),
      (SELECT count(*) FROM silences WHERE starts_at <= ? AND ends_at > ?)`,
    args: [now, now, now],
  })
  return Object.values(result.rows[0] ?? {}).join('|')
}
