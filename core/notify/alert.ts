// Turns health events into alerts: one key per problem, firing until the matching recovery event.
import type { TandemEvent } from '../events/index.ts'

/** What one event says about one alert. */
export interface AlertChange {
  /** Same key for the event that starts a problem and the one that ends it: `node:node2`. */
  key: string
  status: 'firing' | 'resolved'
  /** Fires once and is never resolved (a rejected config file): dropped after it is sent. */
  oneshot: boolean
  type: string
  subject: string
  labels: Record<string, string>
  title: string
  detail: string
  at: number
}

export type Severity = 'info' | 'warning' | 'critical'

type Family = { family: string; status: 'firing' | 'resolved' | 'oneshot' }

/** Which alert each event type starts or ends; `schedule` and `manual` are triggers, not problems. */
const FAMILIES: Record<string, Family | undefined> = {
  'node.down': { family: 'node', status: 'firing' },
  'node.unreachable': { family: 'node', status: 'firing' },
  'node.up': { family: 'node', status: 'resolved' },
  'service.down': { family: 'service', status: 'firing' },
  'service.degraded': { family: 'service', status: 'firing' },
  'service.up': { family: 'service', status: 'resolved' },
  'check.failed': { family: 'check', status: 'firing' },
  'check.recovered': { family: 'check', status: 'resolved' },
  'flapping.start': { family: 'flapping', status: 'firing' },
  'flapping.stop': { family: 'flapping', status: 'resolved' },
  'service.stopped': { family: 'placement', status: 'firing' },
  'service.started': { family: 'placement', status: 'resolved' },
  'vm.down': { family: 'vm', status: 'firing' },
  'vm.up': { family: 'vm', status: 'resolved' },
  'monitor.blind': { family: 'monitor', status: 'firing' },
  'monitor.sighted': { family: 'monitor', status: 'resolved' },
  'alert.received': { family: 'alert', status: 'firing' },
  'alert.resolved': { family: 'alert', status: 'resolved' },
  'config.invalid': { family: 'config', status: 'oneshot' },
}

const MAX_DETAIL = 2_000

/**
 * The alert an event starts or ends; undefined for events that are not problems.
 *
 * @example
 * alertFromEvent({ type: 'node.down', subject: 'node2', at, labels: { severity: 'critical' }, payload: {} })
 * // { key: 'node:node2', status: 'firing', title: 'node node2 is down', ... }
 */
export function alertFromEvent(event: TandemEvent): AlertChange | undefined {
  const family = FAMILIES[event.type]
  if (!family) return undefined
  const oneshot = family.status === 'oneshot'
  return {
    key: oneshot
      ? `${family.family}:${event.subject}:${event.at}`
      : `${family.family}:${event.subject}`,
    status: family.status === 'resolved' ? 'resolved' : 'firing',
    oneshot,
    type: event.type,
    subject: event.subject,
    labels: { ...event.labels, event: event.type, severity: severityOf(event.labels.severity) },
    title: alertTitle(event.type, event.subject, event.payload),
    detail: detailOf(event.payload),
    at: event.at,
  }
}

/** `info` < `warning` < `critical`; anything else counts as `warning`. */
export function severityOf(value: string | undefined): Severity {
  return value === 'info' || value === 'critical' ? value : 'warning'
}

/** The highest severity among `values`. */
export function maxSeverity(values: Iterable<Severity>): Severity {
  let best: Severity = 'info'
  for (const value of values) if (RANK[value] > RANK[best]) best = value
  return best
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 }

/** The one-line title of an alert: `node node2 is down`, `service web is degraded` ... */
export function alertTitle(type: string, s: string, payload: Record<string, unknown> = {}): string {
  switch (type) {
    case 'node.down':
      return `node ${s} is down`
    case 'node.unreachable':
      return `node ${s} is unreachable`
    case 'service.down':
      return `service ${s} is down`
    case 'service.degraded':
      return `service ${s} is degraded`
    case 'check.failed':
      return `check ${s} failed`
    case 'check.recovered':
      return `check ${s} recovered`
    case 'node.up':
      return `node ${s} is up`
    case 'flapping.start':
      return `${s} is flapping`
    case 'vm.down':
      return `guest ${s} is down`
    case 'service.stopped':
      return `cluster service ${s} runs nowhere`
    case 'monitor.blind':
      return `tandem cannot see the cluster (${s}); actions are held`
    case 'alert.received':
      return `alert ${stringField(payload, 'alertname') ?? s}`
    case 'config.invalid':
      return `${s} was rejected; the last good version keeps running`
    default:
      return `${type} ${s}`
  }
}

function detailOf(payload: Record<string, unknown>): string {
  const text =
    stringField(payload, 'detail') ??
    stringField(payload, 'message') ??
    stringField(payload, 'summary') ??
    stringField(payload, 'description') ??
    ''
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text
}

function stringField(payload: Record<string, unknown>, key: string): string | undefined {
  const value = payload[key]
  return typeof value === 'string' && value.length > 0 ? value : undefined
}
