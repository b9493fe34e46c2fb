// Service health from its real servers: up, degraded below min_healthy, down when none is healthy.
import type { HealthState, ServiceEventPayload } from '../events/index.ts'
import type { Service } from '../inventory/index.ts'
import type { CheckRecord } from './check-record.ts'

/** Live state of one service: its real servers, each with the checks that run against it. */
export interface ServiceRecord {
  service: Service
  servers: { node: string; checks: CheckRecord[] }[]
  minHealthy: number
  announced: HealthState
  since: number
  /** The shared storage its data lives on (storageLabelOfService): its events' `storage` label. */
  storage?: string
  /** The counts last written to its row (kept beside the live facts on a facts-only write). */
  counts?: { healthy: number; total: number; minHealthy: number }
}

/**
 * The default for min_healthy: every real server of an LVS service, one for a service the
 * cluster places on a single node at a time (the others are passive by design).
 */
export function defaultMinHealthy(service: Service): number {
  if (service.min_healthy !== undefined) return service.min_healthy
  return service.cluster && !service.lvs ? 1 : service.real_servers.length
}

/** Counts healthy real servers; undefined while any server is still unknown (no verdict yet). */
export function assess(
  record: ServiceRecord,
): Omit<ServiceEventPayload, 'service' | 'from'> | undefined {
  const servers: { node: string; state: HealthState }[] = []
  let healthy = 0
  for (const server of record.servers) {
    const state = serverState(server.checks)
    if (state === 'unknown') return undefined
    if (state === 'up') healthy++
    servers.push({ node: server.node, state })
  }
  const to: HealthState = healthy === 0 ? 'down' : healthy < record.minHealthy ? 'degraded' : 'up'
  return { to, healthy, total: servers.length, minHealthy: record.minHealthy, servers }
}

function serverState(checks: CheckRecord[]): HealthState {
  let state: HealthState = 'up'
  for (const check of checks) {
    const announced = check.announced
    if (announced === 'unknown') return 'unknown'
    if (announced === 'unreachable') state = 'unreachable'
    else if (announced !== 'up' && state === 'up') state = 'down'
  }
  return state
}
