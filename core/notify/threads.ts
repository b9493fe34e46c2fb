import { alertTitle } from './alert.ts'
import { type ApprovalNote, awaitedApprovals, refusedApproval } from './approval.ts'
import type { NotifyContext } from './context.ts'
import { loadDispatch } from './dispatch.ts'
import { applyHeld, isHeld } from './held.ts'
import type { Guard } from './outbox.ts'
import { adoptPending } from './pending.ts'
import type { RunUpdate } from './run-update.ts'
import { loadAlerts, loadThreads, type Phase, type ThreadState } from './tables.ts'
import {
  absorb,
  coversFromLabels,
  momentWrites,
  receiversFor,
  repeatOf,
  threadWrites,
} from './thread-writes.ts'
import { commit, withRetry } from './write.ts'

export type { RunUpdate }

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

async function applyOnce(ctx: NotifyContext, update: RunUpdate): Promise<boolean> {
  const { store, config, now } = ctx
  if (isHeld(update)) return applyHeld(ctx, update, causeTitle(update))
  // Waiting for a person is not "blocked": the story is pending until they decide.
  const awaited = awaitedApprovals(update)
  const refused = refusedApproval(update)
  const phase: Phase =
    awaited.length > 0 ? 'pending' : update.moment === 'started' ? 'handling' : update.moment
  const [stored] = await loadThreads(store.db, update.incidentId)
  const adopted = stored
    ? undefined
    : await adoptPending(ctx, update.incidentKey, update.incidentId)
  const existing = stored ?? adopted?.thread
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
      story: thread.detail.story,
      handled: thread.detail.handled || phase === 'handling' || undefined,
      ...(awaited.length > 0 ? { approvals: awaited } : refused ? { approvals: [refused] } : {}),
    },
    updatedAt: now,
    remindAt: now + repeatOf(config, { ...labels, outcome: phase }),
  }
  const absorbed = await absorb(ctx, next)
  const alerts = [...(await loadAlerts(store.db, next.alerts)).values()]
  // Headlines name the cause (the trigger event), not the first check grouped under it.
  if (!existing && !update.title && !update.cause && alerts[0]) next.title = alerts[0].title
  const firing = alerts.filter((a) => a.status === 'firing')
  // Success with nothing left firing ends the thread; a failure stays open until its reminder.
  const closes = phase === 'succeeded' && firing.length === 0
  // A run going on after an approval (or a second run) adds no second "handling" notice.
  const silent =
    (phase === 'handling' && (existing?.phase === 'handling' || existing?.detail.handled)) ||
    (existing?.phase === 'pending' && phase === 'pending' && sameApprovals(existing, awaited))
  const d = await loadDispatch(ctx)
  const notices = (guard?: Guard) =>
    silent
      ? []
      : momentWrites(next, next.receivers, alerts, closes ? 'resolved' : 'firing', d, {
          guard,
          opensThread: !existing,
        })
  return commit(store.client, [
    ...(adopted?.writes ?? []),
    ...absorbed,
    ...threadWrites(thread, closes ? null : next, notices),
  ])
}

/** The thread already told people about exactly these approvals (a run resumed, still waiting). */
function sameApprovals(thread: ThreadState, awaited: ApprovalNote[]): boolean {
  const told = (thread.detail.approvals ?? []).map((a) => a.id)
  return awaited.length > 0 && awaited.every((a) => told.includes(a.id))
}

function newThread(update: RunUpdate, now: number): ThreadState {
  return {
    key: update.incidentId,
    runId: update.runId,
    policy: update.policy,
    phase: 'handling',
    title: causeTitle(update),
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

/** The thread's headline: the given title, else the cause event's alert title, else the labels. */
export function causeTitle(update: RunUpdate): string {
  if (update.title) return update.title
  if (update.cause?.type === 'manual') return manualTitle(update)
  if (update.cause && update.cause.type !== 'manual' && update.cause.type !== 'schedule')
    return alertTitle(update.cause.type, update.cause.subject)
  return titleFromLabels(update.labels, update.policy)
}

/** "manual lvs.drain lvs/web/node2 by api:ops": the action, its target and who asked. */
function manualTitle(update: RunUpdate): string {
  const uses = update.cause?.subject ?? 'action'
  const target = update.incidentKey?.replace(/^manual:/, '')
  const on = target && target !== uses ? ` ${target}` : ''
  return `manual ${uses}${on} by ${update.labels.actor || 'an operator'}`
}

/** "node node2 is down" from the trigger's labels, as the alert itself is titled. */
function titleFromLabels(labels: Record<string, string>, policy: string): string {
  const { event, node, service, vm, check } = labels
  const subject = check ? `${service ?? 'node'}/${node ?? ''}/${check}` : (node ?? service ?? vm)
  if (event && subject) return alertTitle(event, subject)
  return subject ? `${subject} (policy ${policy})` : `policy ${policy}`
}
