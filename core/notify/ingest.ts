// Events in: alerts fire or resolve, land in their route groups, or join an incident thread.
import type { TandemEvent } from '../events/index.ts'
import { hasLabels } from '../inventory/index.ts'
import { type AlertChange, alertFromEvent } from './alert.ts'
import { type NotifyContext, timersOf } from './context.ts'
import { loadDispatch } from './dispatch.ts'
import { type GroupState, newGroup, putAlert } from './groups.ts'
import type { Guard } from './outbox.ts'
import { groupKeyOf, groupLabelsOf, matchRoutes, type RouteMatch } from './route.ts'
import {
  type AlertRow,
  loadAlerts,
  loadGroups,
  loadThreads,
  saveAlert,
  saveGroup,
  snapshotOf,
  type ThreadState,
} from './tables.ts'
import { momentWrites, threadWrites } from './thread-writes.ts'
import { commit, type Write, withRetry } from './write.ts'

/** Where one alert change goes: its row, and the groups it may create. */
interface Placement {
  row: AlertRow
  oneshot: boolean
  routes: Map<string, { route: RouteMatch; labels: Record<string, string> }>
}

/**
 * Takes health events into notification state. Duplicates are harmless: an alert already firing
 * stays one alert, a resolution for an alert never seen is ignored.
 */
export async function ingestEvents(
  ctx: NotifyContext,
  events: readonly TandemEvent[],
): Promise<void> {
  const changes = events.map(alertFromEvent).filter((c): c is AlertChange => c !== undefined)
  if (changes.length === 0) return
  const done = await withRetry(() => ingestOnce(ctx, changes))
  if (!done)
    ctx.log.error('[notify] events lost five races with another instance; dropped', {
      alerts: changes.map((c) => c.key).slice(0, 20),
    })
}

async function ingestOnce(ctx: NotifyContext, changes: AlertChange[]): Promise<boolean> {
  const { db } = ctx.store
  const rows = await loadAlerts(db, [...new Set(changes.map((c) => c.key))])
  const stored = new Map((await loadThreads(db)).map((t) => [t.key, t]))
  const threads = new Map([...stored].map(([key, t]) => [key, { ...t, alerts: [...t.alerts] }]))
  const placements: Placement[] = []
  const touchedThreads = new Set<string>()
  for (const change of changes) {
    const placement = place(ctx, rows.get(change.key), change, threads)
    if (!placement) continue
    if (!change.oneshot) rows.set(change.key, placement.row)
    if (placement.row.thread) touchedThreads.add(placement.row.thread)
    placements.push(placement)
  }
  const groups = await loadGroups(db, [...new Set(placements.flatMap((p) => p.row.groups))])
  const touched = new Set<GroupState>()
  for (const placement of placements)
    for (const group of putInGroups(ctx, placement, groups)) touched.add(group)

  const changed = new Set(placements.map((p) => p.row.key))
  const writes: Write[] = [...rows.values()].filter((r) => changed.has(r.key)).map(saveAlert)
  for (const group of touched) writes.push(...saveGroup(group, group))
  writes.push(...(await threadChanges(ctx, touchedThreads, stored, threads, rows)))
  return commit(ctx.store.client, writes)
}

/** The alert's next row and where it goes; undefined when the event changes nothing. */
function place(
  ctx: NotifyContext,
  prev: AlertRow | undefined,
  change: AlertChange,
  threads: Map<string, ThreadState>,
): Placement | undefined {
  const { now } = ctx
  if (change.status === 'resolved') {
    if (!prev) return undefined
    const row = { ...prev, status: 'resolved', endsAt: prev.endsAt ?? change.at, updatedAt: now }
    return { row, oneshot: false, routes: new Map() }
  }
  const stillFiring = prev?.status === 'firing'
  const row: AlertRow = {
    key: change.key,
    status: 'firing',
    labels: change.labels,
    title: change.title,
    detail: change.detail || (stillFiring ? prev.detail : ''),
    startsAt: stillFiring ? prev.startsAt : change.at,
    endsAt: null,
    groups: stillFiring ? [...prev.groups] : [],
    thread: stillFiring && prev.thread && threads.has(prev.thread) ? prev.thread : null,
    updatedAt: now,
  }
  row.thread ??= [...threads.values()].find((t) => hasLabels(row.labels, t.covers))?.key ?? null
  const routes = new Map<string, { route: RouteMatch; labels: Record<string, string> }>()
  if (row.thread) {
    const thread = threads.get(row.thread)!
    if (!thread.alerts.includes(row.key)) thread.alerts.push(row.key)
    return { row, oneshot: change.oneshot, routes }
  }
  for (const route of ctx.config.routes ? matchRoutes(ctx.config.routes, row.labels) : []) {
    const labels = groupLabelsOf(route, row.labels)
    const key = groupKeyOf(route, labels)
    routes.set(key, { route, labels })
    if (!row.groups.includes(key)) row.groups.push(key)
  }
  return { row, oneshot: change.oneshot, routes }
}

function putInGroups(
  ctx: NotifyContext,
  placement: Placement,
  groups: Map<string, GroupState>,
): GroupState[] {
  const touched: GroupState[] = []
  for (const key of placement.row.groups) {
    let group = groups.get(key)
    const routed = placement.routes.get(key)
    if (!group) {
      if (!routed || placement.row.status === 'resolved') continue
      group = newGroup(key, routed.route, routed.labels, ctx.now)
      groups.set(key, group)
    }
    const timers = timersOf(ctx.config, group.route, group.receiver)
    if (putAlert(group, snapshotOf(placement.row, placement.oneshot), timers, ctx.now))
      touched.push(group)
  }
  return touched
}

/** Threads that gained alerts are saved; finished ones whose alerts all resolved close. */
async function threadChanges(
  ctx: NotifyContext,
  keys: Set<string>,
  stored: Map<string, ThreadState>,
  threads: Map<string, ThreadState>,
  rows: Map<string, AlertRow>,
): Promise<Write[]> {
  if (keys.size === 0) return []
  const d = await loadDispatch(ctx)
  const writes: Write[] = []
  for (const key of keys) {
    const before = stored.get(key)
    const next = threads.get(key)
    if (!before || !next) continue
    const missing = await loadAlerts(
      ctx.store.db,
      next.alerts.filter((k) => !rows.has(k)),
    )
    const alerts = next.alerts.flatMap((k) => rows.get(k) ?? missing.get(k) ?? [])
    const closes = next.phase !== 'handling' && alerts.every((a) => a.status === 'resolved')
    if (!closes && next.alerts.length === before.alerts.length) continue
    const notices = (guard?: Guard) =>
      closes ? momentWrites(next, next.receivers, alerts, 'resolved', d, { guard }) : []
    writes.push(...threadWrites(before, closes ? null : { ...next, updatedAt: ctx.now }, notices))
  }
  return writes
}
