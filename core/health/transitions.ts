// Collects one batch's transitions as events (with their evidence) and health_states rows.
import type {
  BlindEventPayload,
  CheckEventPayload,
  EventType,
  FlappingEventPayload,
  HealthState,
  NodeEventPayload,
  ServiceEventPayload,
  Severity,
  TandemEvent,
} from '../events/index.ts'
import { type CheckRecord, hardOf } from './check-record.ts'
import type { ServiceFactsDetail } from './live-facts.ts'
import type { NodeRecord, Tally } from './node-votes.ts'
import { type HealthRow, healthTarget } from './rows.ts'
import type { ServiceRecord } from './service-health.ts'

/** Events and rows of one observe() call; a later row for the same target replaces an earlier one. */
export class Transitions {
  private readonly events: TandemEvent[] = []
  private readonly rows = new Map<string, HealthRow>()

  constructor(readonly now: number) {}

  /** A row for `target` is already in this batch. */
  has(target: string): boolean {
    return this.rows.has(target)
  }

  result(): { events: TandemEvent[]; rows: HealthRow[] } {
    return { events: this.events, rows: [...this.rows.values()] }
  }

  /** The check's row as it stands (a soft step: counting toward a change, nothing announced). */
  checkRow(record: CheckRecord, state: HealthState = record.announced): void {
    const since = state === record.announced ? record.since : record.lastAt
    const { target, flapping, soft } = record
    const detail = checkDetail(record, state)
    const history = record.flap.serialize()
    this.row(target.id, 'check', state, since || this.now, flapping, detail, soft, history)
  }

  check(record: CheckRecord, to: HealthState): void {
    const { target } = record
    const from = record.announced
    const at = record.lastAt || this.now
    this.checkRow(record, to)
    const type: EventType | undefined =
      to === 'down'
        ? 'check.failed'
        : to === 'up' && from === 'down'
          ? 'check.recovered'
          : undefined
    if (!type) return
    const payload: CheckEventPayload = {
      check: target.check.name,
      kind: target.check.kind,
      scope: target.scope,
      node: target.node,
      ...(target.service ? { service: target.service } : {}),
      address: target.address,
      ...(target.port !== undefined ? { port: target.port } : {}),
      from,
      to,
      attempts: to === 'up' ? record.passes : record.fails,
      threshold: to === 'up' ? target.check.rise : target.check.fall,
      evidence: record.agreeing(),
    }
    const severity = type === 'check.failed' ? 'warning' : 'info'
    this.event(type, target.id, at, checkLabels(record, severity), payload)
  }

  node(
    node: NodeRecord,
    to: HealthState,
    count: Tally & { quorum: number; parentsDown: string[] },
  ): void {
    const from = node.announced
    this.row(healthTarget.node(node.name), 'node', to, this.now, false, {
      votes: count.votes,
      down: count.down,
      up: count.up,
    })
    const type: EventType | undefined =
      to === 'down'
        ? 'node.down'
        : to === 'unreachable' && from !== 'down'
          ? 'node.unreachable'
          : to === 'up' && (from === 'down' || from === 'unreachable')
            ? 'node.up'
            : undefined
    if (!type) return
    const payload: NodeEventPayload = {
      node: node.name,
      from,
      to,
      quorum: {
        required: count.quorum,
        down: count.down,
        up: count.up,
        vantagePoints: count.votes.length,
      },
      votes: count.votes,
      ...(to === 'unreachable' ? { parentsDown: count.parentsDown } : {}),
    }
    const severity = type === 'node.down' ? 'critical' : type === 'node.up' ? 'info' : 'warning'
    this.event(type, node.name, this.now, { severity, node: node.name }, payload)
  }

  /** A service's verdict; `facts` (its live facts) stay in the row's detail beside the counts. */
  service(
    record: ServiceRecord,
    verdict: Omit<ServiceEventPayload, 'service' | 'from'>,
    facts: Record<string, unknown>,
  ): void {
    const name = record.service.name
    const from = record.announced
    const { healthy, total, minHealthy } = verdict
    this.serviceRow(name, verdict.to, this.now, { healthy, total, minHealthy, ...facts })
    const type: EventType | undefined =
      verdict.to === 'down'
        ? 'service.down'
        : verdict.to === 'degraded'
          ? 'service.degraded'
          : from === 'down' || from === 'degraded'
            ? 'service.up'
            : undefined
    if (!type) return
    const payload: ServiceEventPayload = { service: name, from, ...verdict }
    const severity =
      type === 'service.down' ? 'critical' : type === 'service.degraded' ? 'warning' : 'info'
    const labels = {
      severity,
      service: name,
      ...(record.storage ? { storage: record.storage } : {}),
    }
    this.event(type, name, this.now, labels, payload)
  }

  /** A service row whose live facts changed (no event: its health did not). */
  serviceRow(name: string, state: HealthState, since: number, detail: Record<string, unknown>) {
    this.row(healthTarget.service(name), 'service', state, since, false, detail)
  }

  /** A cluster service came to run nowhere while its last owner is back, or runs again after it. */
  placement(name: string, type: 'service.stopped' | 'service.started', detail: ServiceFactsDetail) {
    const labels: Record<string, string> = {
      severity: type === 'service.stopped' ? 'critical' : 'info',
      service: name,
      ...(typeof detail.lastOwner === 'string' ? { node: detail.lastOwner } : {}),
    }
    const { owner, lastOwner, ownerState } = detail
    this.event(type, name, this.now, labels, { service: name, owner, lastOwner, ownerState })
  }

  /** A guest's row (where it runs, its state) and the event its new state calls for, if any. */
  vm(row: HealthRow, type: 'vm.down' | 'vm.up' | undefined): void {
    this.rows.set(row.target, row)
    if (!type) return
    const name = row.target.slice('vm/'.length)
    const lastHost = row.detail?.lastHost
    const labels: Record<string, string> = {
      severity: type === 'vm.down' ? 'critical' : 'info',
      vm: name,
      ...(typeof lastHost === 'string' ? { node: lastHost } : {}),
    }
    this.event(type, name, this.now, labels, { vm: name, state: row.state, ...row.detail })
  }

  /** A storage row whose state or facts changed (policies read it; no event of its own). */
  storage(row: HealthRow): void {
    this.rows.set(row.target, row)
  }

  flapping(
    record: CheckRecord,
    change: 'start' | 'stop',
    service: ServiceRecord | undefined,
    flap: { window: number; high: number; low: number },
  ): void {
    const { target } = record
    this.checkRow(record)
    const payload: FlappingEventPayload = {
      target: target.id,
      node: target.node,
      ...(service ? { service: service.service.name } : {}),
      percent: record.flap.percent(),
      ...flap,
      state: change === 'start' ? record.announced : record.hard,
    }
    const type = change === 'start' ? 'flapping.start' : 'flapping.stop'
    const severity = change === 'start' ? 'warning' : 'info'
    this.event(type, target.id, record.lastAt || this.now, checkLabels(record, severity), payload)
  }

  monitor(change: 'blind' | 'sighted', payload: BlindEventPayload): void {
    const state = change === 'blind' ? 'down' : 'up'
    this.row(healthTarget.monitor, 'monitor', state, this.now, false, {
      ...payload,
      blind: change === 'blind',
    })
    const type = change === 'blind' ? 'monitor.blind' : 'monitor.sighted'
    const severity = change === 'blind' ? 'critical' : 'info'
    this.event(type, 'monitor', this.now, { severity }, payload)
  }

  /** The cluster row (no event: losing quorum already fails the membership check itself). */
  cluster(state: HealthState, detail: { members: string[]; source: string | null }): void {
    this.row(healthTarget.cluster, 'cluster', state, this.now, false, detail)
  }

  private event(
    type: EventType,
    subject: string,
    at: number,
    labels: Record<string, string>,
    payload: Record<string, unknown>,
  ): void {
    this.events.push({ type, subject, at: Math.round(at), labels, payload })
  }

  private row(
    target: string,
    kind: HealthRow['kind'],
    state: HealthRow['state'],
    since: number,
    flapping: boolean,
    detail: Record<string, unknown> | null,
    soft = false,
    flapHistory: string | null = null,
  ): void {
    this.rows.set(target, {
      target,
      kind,
      state,
      stateType: soft ? 'soft' : 'hard',
      flapping,
      since: Math.round(since),
      detail,
      flapHistory,
      updatedAt: Math.round(this.now),
    })
  }
}

function checkLabels(record: CheckRecord, severity: Severity): Record<string, string> {
  const { target } = record
  const labels: Record<string, string> = { severity, node: target.node, check: target.check.name }
  if (target.service) labels.service = target.service
  if (record.storage) labels.storage = record.storage
  return labels
}

/**
 * A check row's detail: the last result, and the soft counters a restart resumes from; `hard`
 * too when it differs from the announced state (flapping or held), so that is resumed as well.
 */
function checkDetail(record: CheckRecord, state: HealthState): Record<string, unknown> {
  const { lastStatus: status, lastDetail: detail, lastLatencyMs: latencyMs, passes, fails } = record
  const out: Record<string, unknown> = { status, detail, latencyMs, passes, fails }
  if (record.hard !== hardOf(state)) out.hard = record.hard
  return out
}
