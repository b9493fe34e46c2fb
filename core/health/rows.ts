// Keys and rows of health_states: one row per check, node, service, VM, and the monitor itself.
import type { HealthRow, HealthState, TandemEvent } from '../events/index.ts'

export type { HealthRow }

/**
 * The `target` keys of health_states. Checks use their subject (`web/node1/http`,
 * `node/node1/ssh`); nodes and services are prefixed so names never collide.
 *
 * @example
 * db.select().from(healthStates).where(eq(healthStates.target, healthTarget.node('node2')))
 */
export const healthTarget = {
  node: (name: string) => `node/${name}`,
  /**
   * A service's health (from its real servers' checks) and, in `detail`, its live facts from
   * plugin probes: `owner`/`ownerState` (where the cluster runs it now), `inIpvs` and
   * `realServers` (node → `{ weight }` in the IPVS table now).
   */
  service: (name: string) => `service/${name}`,
  /** A guest: `detail.host` (where it runs now), `hosts`, `domain` (its domain state). */
  vm: (name: string) => `vm/${name}`,
  /**
   * The monitor's own row: `down` while tandem suspects its own eyes (monitor.blind), `up`
   * again after monitor.sighted. The executor refuses destructive steps while it is down.
   */
  monitor: 'monitor',
  /**
   * The cluster manager's word, from the freshest membership probe: `up` quorate, `down`
   * inquorate, `unknown` when no probe can tell; `detail.members` lists the live members.
   * The executor's quorum guard and the policies' `quorate` read it.
   */
  cluster: 'cluster',
} as const

/**
 * The row state an event announces (`node.down` → `node/node2` is `down`), for the events that
 * are a row's transition. Several instances may see one transition (a shard handed over while a
 * node fails): the store keeps the announcement of whichever wrote the row first, so one failure
 * episode is one event, whoever saw it.
 *
 * @example
 * announcedRow(nodeDown) // { target: 'node/node2', state: 'down' }
 */
export function announcedRow(
  event: Pick<TandemEvent, 'type' | 'subject' | 'payload'>,
): { target: string; state: HealthState } | undefined {
  if (event.type === 'monitor.blind') return { target: healthTarget.monitor, state: 'down' }
  if (event.type === 'monitor.sighted') return { target: healthTarget.monitor, state: 'up' }
  const to = event.payload.to
  if (typeof to !== 'string') return undefined
  const state = to as HealthState
  if (event.type.startsWith('node.')) return { target: healthTarget.node(event.subject), state }
  if (event.type.startsWith('service.'))
    return { target: healthTarget.service(event.subject), state }
  if (event.type === 'check.failed' || event.type === 'check.recovered')
    return { target: event.subject, state }
  return undefined
}
