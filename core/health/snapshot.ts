// A read-only picture of the engine's current state, for `tandem status`, the API and the dashboard.
import type { HealthState, VantageVote } from '../events/index.ts'
import type { CheckRecord } from './check-record.ts'
import type { NodeRecord } from './node-votes.ts'
import type { ServiceRecord } from './service-health.ts'

export interface CheckView {
  id: string
  node: string
  service?: string
  check: string
  kind: string
  /** Announced state (what events said); `hard` is what rise/fall has confirmed by now. */
  state: HealthState
  hard: HealthState
  stateType: 'soft' | 'hard'
  flapping: boolean
  percentChange: number
  since: number
  last?: { status: string; detail: string; latencyMs: number; at: number }
}

export interface NodeView {
  name: string
  state: HealthState
  since: number
  /** A vantage check is counting failures toward a verdict. */
  pending: boolean
  votes: VantageVote[]
}

export interface ServiceView {
  name: string
  state: HealthState
  since: number
  minHealthy: number
  servers: { node: string; checks: { id: string; state: HealthState }[] }[]
}

export interface HealthSnapshot {
  blind: boolean
  checks: CheckView[]
  nodes: NodeView[]
  services: ServiceView[]
}

/** Builds the snapshot; it copies, so callers may keep or serialize it. */
export function snapshotOf(parts: {
  checks: Map<string, CheckRecord>
  nodes: NodeRecord[]
  services: ServiceRecord[]
  blind: boolean
  votes(node: NodeRecord): VantageVote[]
}): HealthSnapshot {
  return {
    blind: parts.blind,
    checks: [...parts.checks.values()].map(checkView),
    nodes: parts.nodes.map((node) => ({
      name: node.name,
      state: node.announced,
      since: node.since,
      pending: node.pending,
      votes: parts.votes(node),
    })),
    services: parts.services.map((record) => ({
      name: record.service.name,
      state: record.announced,
      since: record.since,
      minHealthy: record.minHealthy,
      servers: record.servers.map((server) => ({
        node: server.node,
        checks: server.checks.map((c) => ({ id: c.target.id, state: c.announced })),
      })),
    })),
  }
}

function checkView(record: CheckRecord): CheckView {
  const { target } = record
  const view: CheckView = {
    id: target.id,
    node: target.node,
    check: target.check.name,
    kind: target.check.kind,
    state: record.announced,
    hard: record.hard,
    stateType: record.soft ? 'soft' : 'hard',
    flapping: record.flapping,
    percentChange: record.flap.percent(),
    since: record.since,
  }
  if (target.service) view.service = target.service
  if (record.lastStatus)
    view.last = {
      status: record.lastStatus,
      detail: record.lastDetail,
      latencyMs: record.lastLatencyMs,
      at: record.lastAt,
    }
  return view
}
