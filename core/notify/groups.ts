// Alertmanager-style aggregation groups as pure state: add alerts, decide when and what to send.
import { createHash } from 'node:crypto'
import type { RouteMatch } from './route.ts'

/** An alert as one group holds it, with what this group's receiver was last told about it. */
export interface AlertSnapshot {
  key: string
  type: string
  subject: string
  status: 'firing' | 'resolved'
  labels: Record<string, string>
  title: string
  detail: string
  startsAt: number
  endsAt?: number
  notified?: 'firing' | 'resolved'
  /** When a silence first hid it (recorded once as a muted notice). */
  mutedAt?: number
  oneshot?: boolean
}

export interface GroupState {
  key: string
  receiver: string
  route: string
  /** The grouping labels (group_by). */
  labels: Record<string, string>
  firstAt: number
  lastSentAt: number | null
  lastHash: string | null
  alerts: AlertSnapshot[]
  dueAt: number | null
  /** Revision read from the store; null for a group not stored yet. */
  rev: string | null
}

/** What one flush decided: a notice to send, alerts newly muted, and the group's next state. */
export interface FlushResult {
  send?: { firing: AlertSnapshot[]; resolved: AlertSnapshot[] }
  mutedNow: AlertSnapshot[]
  /** null: the group is empty and goes away. */
  next: GroupState | null
}

/** A fresh, unsaved group for the first alert routed to it. */
export function newGroup(
  key: string,
  route: RouteMatch,
  labels: Record<string, string>,
  now: number,
): GroupState {
  return {
    key,
    receiver: route.receiver,
    route: route.id,
    labels,
    firstAt: now,
    lastSentAt: null,
    lastHash: null,
    alerts: [],
    dueAt: null,
    rev: null,
  }
}

/**
 * Adds or updates an alert and moves the group's due time: group_wait for a new group,
 * group_interval after the last notice. A repeated event with no news moves nothing.
 * Returns false when the group did not change at all.
 */
export function putAlert(
  group: GroupState,
  alert: AlertSnapshot,
  timers: RouteMatch,
  now: number,
): boolean {
  const at = group.alerts.findIndex((a) => a.key === alert.key)
  const existing = group.alerts[at]
  if (!existing) {
    if (alert.status === 'resolved') return false
    group.alerts.push(alert)
    schedule(group, timers, now)
    return true
  }
  const startsAt =
    alert.status === 'firing' && existing.status === 'firing' ? existing.startsAt : alert.startsAt
  group.alerts[at] = { ...alert, startsAt, notified: existing.notified, mutedAt: existing.mutedAt }
  if (existing.status !== alert.status) schedule(group, timers, now)
  return true
}

/**
 * Takes an alert out of a group if its receiver has not heard of it yet: a remediation thread
 * absorbed it. An emptied group is dropped at its next flush.
 */
export function takeUnnotified(group: GroupState, key: string): boolean {
  const alert = group.alerts.find((a) => a.key === key)
  if (!alert || alert.notified) return false
  group.alerts = group.alerts.filter((a) => a !== alert)
  return true
}

/**
 * Decides what a due group sends now. Resend when the set of alerts changed, or when alerts
 * still fire after repeat_interval; muted alerts are held back and recorded once.
 */
export function flushGroup(
  group: GroupState,
  timers: RouteMatch,
  now: number,
  isMuted: (labels: Record<string, string>) => boolean,
): FlushResult {
  const muted = group.alerts.filter((a) => isMuted(a.labels))
  const active = group.alerts.filter((a) => !muted.includes(a))
  const firing = active.filter((a) => a.status === 'firing')
  const resolved = active.filter(
    (a) => a.status === 'resolved' && a.notified === 'firing' && timers.sendResolved,
  )
  const hash = hashOf([...firing, ...resolved])
  const due = firing.length > 0 && now >= (group.lastSentAt ?? 0) + timers.repeatIntervalMs
  const send = firing.length + resolved.length > 0 && (hash !== group.lastHash || due)
  const mutedNow = muted.filter((a) => a.mutedAt === undefined)

  // Resolved and one-shot alerts leave once flushed (told now, or not to be told); firing ones stay.
  const keep = group.alerts
    .filter((a) => a.status === 'firing' && !a.oneshot)
    .map((alert): AlertSnapshot => {
      const isMutedAlert = muted.includes(alert)
      return {
        ...alert,
        notified: send && !isMutedAlert ? 'firing' : alert.notified,
        mutedAt: isMutedAlert ? (alert.mutedAt ?? now) : undefined,
      }
    })
  const next: GroupState = {
    ...group,
    alerts: keep,
    lastSentAt: send ? now : group.lastSentAt,
    lastHash: send ? hash : group.lastHash,
  }
  next.dueAt = nextDue(next, timers, now)
  return {
    send: send ? { firing, resolved } : undefined,
    mutedNow,
    next: keep.length > 0 ? next : null,
  }
}

function schedule(group: GroupState, timers: RouteMatch, now: number): void {
  const at =
    group.lastSentAt === null
      ? group.firstAt + timers.groupWaitMs
      : Math.max(now, group.lastSentAt + timers.groupIntervalMs)
  group.dueAt = group.dueAt === null ? at : Math.min(group.dueAt, at)
}

function nextDue(group: GroupState, timers: RouteMatch, now: number): number | null {
  if (group.alerts.length === 0) return null
  // Muted alerts are looked at again after group_interval: the silence may have ended.
  const recheck = group.alerts.some((a) => a.mutedAt !== undefined)
    ? now + timers.groupIntervalMs
    : Number.POSITIVE_INFINITY
  const repeat = (group.lastSentAt ?? now) + timers.repeatIntervalMs
  return Math.min(recheck, repeat)
}

function hashOf(alerts: AlertSnapshot[]): string {
  const parts = alerts.map((a) => `${a.key}\u0000${a.status}`).sort()
  return createHash('sha256').update(parts.join('\u0001')).digest('base64url').slice(0, 22)
}
