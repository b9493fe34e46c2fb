// Incident threads: one "handling it" notice per remediation, then its outcome, then resolved.
import type { Config } from '../inventory/index.ts'
import { hasLabels } from '../inventory/index.ts'
import type { Notice } from '../plugin/index.ts'
import { alertTitle } from './alert.ts'
import type { NotifyContext } from './context.ts'
import { type Dispatch, loadDispatch, recordNotice } from './dispatch.ts'
import { type GroupState, takeUnnotified } from './groups.ts'
import { threadNotice } from './notice.ts'
import type { Guard } from './outbox.ts'
import { matchRoutes } from './route.ts'
import { mutingSilence } from './silences.ts'
import {
  type AlertRow,
  loadAlerts,
  loadGroups,
  loadThreads,
  type Phase,
  saveAlert,
  saveGroup,
  saveThread,
  snapshotOf,
  type ThreadState,
  unthreadedAlerts,
} from './tables.ts'
import { commit, type Write, withRetry } from './write.ts'

/**
 * How a remediation run is going, as the executor reports it. Structurally the executor's
 * `RunUpdate` (core/act); `title`, `summary` and `covers` are optional refinements.
 */
export interface RunUpdate {
  incidentId: string
  runId: string
  policy: string
  moment: 'started' | 'succeeded' | 'failed' | 'blocked'
  /** The trigger's labels (severity, node, service ...): routes and silences match on them. */
  labels: Record<string, string>
  /** Channels the policy names in `notify:` (in addition to what the routes pick). */
  channels?: string[]
  /** The moments the policy wants its `channels` told about (default: all); routes hear all. */
  notifyOn?: ('started' | 'succeeded' | 'failed' | 'blocked')[]
  steps?: Notice['actions']
  refused?: Notice['refused']
  dryRun?: boolean
  /** The problem in one line, e.g. "node node2 is down"; default from the labels. */
  title?: string
  summary?: string
  /** Alerts carrying all these labels belong to the incident; default node/service/vm labels. */
  covers?: Record<string, string>
}

/** Records a run update: the thread's state and the notices its moment calls for. */
export async function applyRunUpdate(ctx: NotifyContext, update: RunUpdate): Promise<void> {
  const done = await withRetry(() => applyOnce(ctx, update))
  if (!done)
    ctx.log.error('[notify] run update lost five races with another instance; dropped', {
      incident: update.incidentId,
      moment: update.moment,
    })
}

/**
 * An incident's cause cleared: its open thread (if any) sends its "resolved" notice and ends.
 * Once per incident: the thread row is gone afterwards, so a repeat finds nothing to do; a
 * thread already ended by its alerts resolving has said "resolved" already.
 */
export async function applyIncidentResolved(ctx: NotifyContext, incidentId: string) {
  const done = await withRetry(async () => {
    const [thread] = await loadThreads(ctx.store.db, incidentId)
    if (!thread) return true
    const alerts = [...(await loadAlerts(ctx.store.db, thread.alerts)).values()]
    const d = await loadDispatch(ctx)
    const next = { ...thread, updatedAt: ctx.now }
    const notices = (guard?: Guard) =>
      momentWrites(next, next.receivers, alerts, 'resolved', d, { guard })
    return commit(ctx.store.client, threadWrites(thread, null, notices))
  })
  if (!done)
    ctx.log.error('[notify] resolved notice lost five races with another instance; dropped', {
      incident: incidentId,
    })
}

/** Notices for one moment of a thread, to each receiver; failures in maintenance escalate. */
export function momentWrites(
  next: ThreadState,
  receivers: readonly string[],
  alerts: AlertRow[],
  status: 'firing' | 'resolved',
  d: Dispatch,
  options: { guard?: Guard; reminder?: boolean } = {},
): Write[] {
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
      { status, reminder: options.reminder },
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

async function applyOnce(ctx: NotifyContext, update: RunUpdate): Promise<boolean> {
  const { store, config, now } = ctx
  const phase: Phase = update.moment === 'started' ? 'handling' : update.moment
  const [existing] = await loadThreads(store.db, update.incidentId)
  const thread = existing ?? newThread(update, now)
  const labels = {
    ...update.labels,
    policy: update.policy,
    ...(update.dryRun ? { dry_run: 'true' } : {}),
  }
  const asked = !update.notifyOn || update.notifyOn.includes(update.moment)
  const receivers = receiversFor(
    ctx,
    { ...labels, outcome: phase },
    asked ? (update.channels ?? []) : [],
  )
  const next: ThreadState = {
    ...thread,
    runId: update.runId,
    policy: update.policy,
    phase,
    labels,
    receivers: [...new Set([...thread.receivers, ...receivers])],
    detail: {
      steps: update.steps ?? [],
      refused: update.refused ?? [],
      summary: update.summary,
      dryRun: update.dryRun,
    },
    updatedAt: now,
    remindAt: now + repeatOf(config, { ...labels, outcome: phase }),
  }
  const absorbed = await absorb(ctx, next)
  const alerts = [...(await loadAlerts(store.db, next.alerts)).values()]
  // A new thread is titled after the problem it absorbed ("node node2 is down") when it can be.
  if (!existing && !update.title && alerts[0]) next.title = alerts[0].title
  const firing = alerts.filter((a) => a.status === 'firing')
  // Success with nothing left firing ends the thread; a failure stays open until its reminder.
  const closes = phase === 'succeeded' && firing.length === 0
  // A second run for an incident already being handled adds no second "handling" notice.
  const silent = existing?.phase === 'handling' && phase === 'handling'
  const d = await loadDispatch(ctx)
  const notices = (guard?: Guard) =>
    silent
      ? []
      : momentWrites(next, next.receivers, alerts, closes ? 'resolved' : 'firing', d, { guard })
  return commit(store.client, [...absorbed, ...threadWrites(thread, closes ? null : next, notices)])
}

/**
 * Moves firing alerts the thread covers into it. Groups whose receiver has not heard of an
 * alert yet (still in group_wait) lose it: the thread's notice speaks for it instead.
 */
async function absorb(ctx: NotifyContext, thread: ThreadState): Promise<Write[]> {
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

function newThread(update: RunUpdate, now: number): ThreadState {
  return {
    key: update.incidentId,
    runId: update.runId,
    policy: update.policy,
    phase: 'handling',
    title: update.title ?? titleFromLabels(update.labels, update.policy),
    labels: update.labels,
    covers: update.covers ?? coversFromLabels(update.labels),
    receivers: [],
    alerts: [],
    detail: { steps: [], refused: [] },
    openedAt: now,
    updatedAt: now,
    remindAt: null,
    rev: null,
  }
}

function receiversFor(
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

function coversFromLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of ['node', 'service', 'vm']) if (labels[name]) out[name] = labels[name]
  return out
}

/** "node node2 is down" from the trigger's labels, as the alert itself is titled. */
function titleFromLabels(labels: Record<string, string>, policy: string): string {
  const { event, node, service, vm, check } = labels
  const subject = check ? `${service ?? 'node'}/${node ?? ''}/${check}` : (node ?? service ?? vm)
  if (event && subject) return alertTitle(event, subject)
  return subject ? `${subject} (policy ${policy})` : `policy ${policy}`
}
