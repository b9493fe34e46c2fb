// The events tandem reacts to: health transitions, alerts, schedules and manual triggers.
import { z } from 'zod'

export const EVENT_TYPES = [
  'node.down',
  'node.up',
  'node.unreachable',
  'service.down',
  'service.degraded',
  'service.up',
  'service.stopped',
  'service.started',
  'check.failed',
  'check.recovered',
  'flapping.start',
  'flapping.stop',
  'vm.down',
  'vm.up',
  'monitor.blind',
  'monitor.sighted',
  'alert.received',
  'alert.resolved',
  'config.invalid',
  'schedule',
  'manual',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

export const SEVERITIES = ['info', 'warning', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

/**
 * One event. `subject` names what it is about (`node2`, `web/node2/http`, `node/node2/ssh`);
 * `labels` are what routing and policy selectors match on; `payload` carries the evidence.
 */
export const TandemEvent = z.object({
  id: z.number().int().optional(),
  type: z.enum(EVENT_TYPES),
  subject: z.string(),
  at: z.number().int(),
  labels: z.record(z.string(), z.string()).default({}),
  payload: z.record(z.string(), z.unknown()).default({}),
})

export type TandemEvent = z.output<typeof TandemEvent>

/** Published health of a check, node or service (the `state` column of `health_states`). */
export type HealthState = 'up' | 'down' | 'degraded' | 'unreachable' | 'unknown'

/** One probe outcome quoted as evidence. */
export type ProbeEvidence = {
  target: string
  status: 'ok' | 'warning' | 'critical' | 'unknown' | 'timeout'
  latencyMs: number
  detail: string
  at: number
}

/** Payload of `check.failed` / `check.recovered`: the check and the results that decided it. */
export type CheckEventPayload = {
  check: string
  kind: string
  scope: 'service' | 'node'
  node: string
  service?: string
  address: string
  port?: number
  from: HealthState
  to: HealthState
  /** How many consecutive results agreed, and how many were needed (fall or rise). */
  attempts: number
  threshold: number
  /** The results that decided it, oldest first. */
  evidence: ProbeEvidence[]
}

/** What one vantage point thinks of a node, and why. */
export type VantageVote = {
  /** `monitor` (the node's own checks), `services` (its real servers), `cluster:<check>`. */
  vantage: string
  verdict: 'up' | 'down' | 'none'
  /** Check subjects and their states (or the membership entry) behind the verdict. */
  evidence: string[]
}

/** Payload of `node.down` / `node.up` / `node.unreachable`. */
export type NodeEventPayload = {
  node: string
  from: HealthState
  to: HealthState
  quorum: { required: number; down: number; up: number; vantagePoints: number }
  votes: VantageVote[]
  /** `node.unreachable`: the parents (depends_on) that are down. */
  parentsDown?: string[]
}

/** Payload of `service.up` / `service.degraded` / `service.down`. */
export type ServiceEventPayload = {
  service: string
  from: HealthState
  to: HealthState
  healthy: number
  total: number
  minHealthy: number
  servers: { node: string; state: HealthState }[]
}

/** Payload of `flapping.start` / `flapping.stop` (events of the check are held while flapping). */
export type FlappingEventPayload = {
  target: string
  node: string
  service?: string
  /** Weighted percent state change over the last `window` results (Nagios' formula). */
  percent: number
  window: number
  high: number
  low: number
  /** The state last announced (start) or the state now announced (stop). */
  state: HealthState
}

/** Payload of `monitor.blind` / `monitor.sighted`: tandem suspects its own network or probes. */
export type BlindEventPayload = {
  failing: number
  total: number
  fraction: number
  threshold: number
  /** Distinct nodes behind the failing targets. */
  nodes: number
  /** A few failing targets, for the notice. */
  sample: string[]
}
