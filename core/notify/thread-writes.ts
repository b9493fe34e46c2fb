// The writes every thread change shares: notices per moment, guarded thread rows, absorbed alerts, receivers.
import type { Config } from '../inventory/index.ts'
import { hasLabels } from '../inventory/index.ts'
import type { NotifyContext } from './context.ts'
import { type Dispatch, recordNotice } from './dispatch.ts'
import { type GroupState, takeUnnotified } from './groups.ts'
import { threadNotice } from './notice.ts'
import type { Guard } from './outbox.ts'
import { matchRoutes } from './route.ts'
import { mutingSilence } from './silences.ts'
import {
  type AlertRow,
  loadGroups,
  saveAlert,
  saveGroup,
  saveThread,
  snapshotOf,
  type ThreadState,
  unthreadedAlerts,
} from './tables.ts'
import type { Write } from './write.ts'

/** Notices for one moment of a thread, to each receiver; failures in maintenance escalate. */
export function momentWrites(
  next: ThreadState,
  receivers: readonly string[],
  alerts: AlertRow[],
  status: 'firing' | 'resolved',
  d: Dispatch,
  options: { guard?: Guard; reminder?: boolean; opensThread?: boolean } = {},
): Write[] {
  // A held decision said so once; its end is no news to anyone.
  if (next.phase === 'held' && status === 'resolved') return []
  const snapshots = alerts.map((row) => snapshotOf(row))
  const labels = { ...next.labels, outcome: next.phase }
  const escalate =
    next.phase === 'failed' && mutingSilence(d.silences, labels, 'maintenance') !== undefined
  const targets = new Set(receivers)
  if (escalate && d.escalation) targets.add(d.escalation)
  return [...targets].map((receiver) => {
    const notice = threadNotice(
      next,
      receiver,
      snapshots,
      { status, reminder: options.reminder, opensThread: options.opensThread },
      d.now,
      d.publicUrl,
    )
    const mutable = !(escalate && receiver === d.escalation)
    return recordNotice(notice, d, { guard: options.guard, mutable }).write
  })
}

/** Orders thread writes around its notices so the notices only land if the thread write does. */
export function threadWrites(
  thread: ThreadState,
  next: ThreadState | null,
  notices: (guard?: Guard) => Write[],
): Write[] {
  const saved = saveThread(thread, next)
  if (thread.rev !== null)
    return [
      ...notices({ table: 'notify_threads', key: thread.key, rev: thread.rev }),
      ...saved.writes,
    ]
  if (saved.rev !== null)
    return [
      ...saved.writes,
      ...notices({ table: 'notify_threads', key: thread.key, rev: saved.rev }),
    ]
  return notices()
}

/** The repeat interval that applies to a thread (its first route's, or the root's). */
export function repeatOf(config: Config, labels: Record<string, string>): number {
  if (!config.routes) return 14_400_000
  return matchRoutes(config.routes, labels)[0]?.repeatIntervalMs ?? config.routes.repeat_interval
}

/**
 * Moves firing alerts the thread covers into it. Groups whose receiver has not heard of an
 * alert yet (still in group_wait) lose it: the thread's notice speaks for it instead.
 */
export async function absorb(ctx: NotifyContext, thread: ThreadState): Promise<Write[]> {
  const covered = (await unthreadedAlerts(ctx.store.db)).filter((row) =>
    hasLabels(row.labels, thread.covers),
  )
  if (covered.length === 0) return []
  const groups = await loadGroups(ctx.store.db, [...new Set(covered.flatMap((r) => r.groups))])
  const touched = new Set<GroupState>()
  const writes = covered.map((row) => {
    const remaining = row.groups.filter((key) => {
      const group = groups.get(key)
      if (group && takeUnnotified(group, row.key)) return !touched.add(group)
      return true
    })
    thread.alerts = [...new Set([...thread.alerts, row.key])]
    return saveAlert({ ...row, groups: remaining, thread: thread.key, updatedAt: ctx.now })
  })
  for (const group of touched)
    writes.push(...saveGroup(group, group.alerts.length > 0 ? group : null))
  return writes
}

export function receiversFor(
  ctx: NotifyContext,
  labels: Record<string, string>,
  channels: string[],
): string[] {
  const known = new Set(ctx.config.channels.map((c) => c.name))
  const routed = ctx.config.routes
    ? matchRoutes(ctx.config.routes, labels).map((r) => r.receiver)
    : []
  for (const name of channels)
    if (!known.has(name))
      ctx.log.warn('[notify] a policy names an unknown channel; skipped', { channel: name })
  return [...new Set([...routed, ...channels.filter((c) => known.has(c))])]
}

export function coversFromLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of ['node', 'service', 'vm']) if (labels[name]) out[name] = labels[name]
  return out
}
