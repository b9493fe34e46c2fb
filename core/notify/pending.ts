// A policy waiting on its `for:`: one notice saying what tandem will do and when; the run then continues that story.
import { alertTitle } from './alert.ts'
import type { NotifyContext } from './context.ts'
import { loadDispatch } from './dispatch.ts'
import type { Guard } from './outbox.ts'
import { loadAlerts, loadThreads, saveAlert, type ThreadState } from './tables.ts'
import {
  absorb,
  coversFromLabels,
  momentWrites,
  receiversFor,
  threadWrites,
} from './thread-writes.ts'
import { commit, type Write, withRetry } from './write.ts'

/** A policy matched an event and waits (`for:`) before it acts. */
export interface PendingUpdate {
  /**
   * The incident the wait opened, which the run joins: the story's thread and the notices'
   * incident id from the first notice on (one thread per failure episode). Without it the
   * story is keyed `pending:<incidentKey>` until the run adopts it.
   */
  incidentId?: string
  /** The incident key the run will open (`node.down:node2`): its updates continue this story. */
  incidentKey: string
  policy: string
  /** The event it waits on: the headline names it ("node node2 is down"). */
  cause: { type: string; subject: string }
  /** The trigger's labels (severity, node, service ...): routes and silences match on them. */
  labels: Record<string, string>
  /** When the policy acts unless the cause clears. */
  dueAt: number
  /** The names of the steps it will run, in order. */
  steps: string[]
  /** The policy's `description:`, what the headline says it will do; else the step names. */
  description?: string
  /** Channels the policy names in `notify:`, told when it asks for `started`. */
  channels?: string[]
  notifyOn?: ('started' | 'succeeded' | 'failed' | 'blocked')[]
}

/** The thread key of a pending story before its run gives it an incident id. */
export function pendingKey(incidentKey: string): string {
  return `pending:${incidentKey}`
}

/**
 * Opens the pending story of `update` (once: a repeat, or a story already told about the same
 * node/service, adds nothing). Alerts it covers join it instead of paging on their own.
 */
export async function applyPending(ctx: NotifyContext, update: PendingUpdate): Promise<void> {
  const done = await withRetry(() => pendingOnce(ctx, update))
  if (!done)
    ctx.log.error('[notify] pending notice lost five races with another instance; dropped', {
      incident: update.incidentKey,
    })
}

/**
 * The pending story a run takes over: the same thread under the run's incident id, its alerts
 * moved with it, and `story` kept so every notice threads under the first one.
 */
export async function adoptPending(
  ctx: NotifyContext,
  incidentKey: string | undefined,
  incidentId: string,
): Promise<{ thread: ThreadState; writes: Write[] } | undefined> {
  if (!incidentKey) return undefined
  const [pending] = await loadThreads(ctx.store.db, pendingKey(incidentKey))
  if (pending?.phase !== 'pending') return undefined
  const alerts = [...(await loadAlerts(ctx.store.db, pending.alerts)).values()]
  const writes = [
    ...threadWrites(pending, null, () => []),
    ...alerts.map((row) => saveAlert({ ...row, thread: incidentId, updatedAt: ctx.now })),
  ]
  const thread: ThreadState = {
    ...pending,
    key: incidentId,
    detail: { ...pending.detail, story: pending.detail.story ?? pending.key },
    rev: null,
  }
  return { thread, writes }
}

async function pendingOnce(ctx: NotifyContext, update: PendingUpdate): Promise<boolean> {
  const key = update.incidentId ?? pendingKey(update.incidentKey)
  const labels = { ...update.labels, policy: update.policy }
  const covers = coversFromLabels(update.labels)
  // One story per cause: a pending or running thread already speaking for it says enough.
  const threads = await loadThreads(ctx.store.db)
  const told = threads.some(
    (t) => t.key === key || (t.phase !== 'held' && sameCovers(t.covers, covers)),
  )
  if (told) return true
  const asked = !update.notifyOn || update.notifyOn.includes('started')
  const thread: ThreadState = {
    key,
    runId: '',
    policy: update.policy,
    phase: 'pending',
    title: alertTitle(update.cause.type, update.cause.subject),
    labels,
    covers,
    receivers: receiversFor(
      ctx,
      { ...labels, outcome: 'pending' },
      asked ? (update.channels ?? []) : [],
    ),
    alerts: [],
    detail: {
      steps: [],
      refused: [],
      story: key,
      pending: { dueAt: update.dueAt, steps: update.steps, description: update.description },
    },
    openedAt: ctx.now,
    updatedAt: ctx.now,
    remindAt: null,
    rev: null,
  }
  const absorbed = await absorb(ctx, thread)
  const alerts = [...(await loadAlerts(ctx.store.db, thread.alerts)).values()]
  const d = await loadDispatch(ctx)
  const notices = (guard?: Guard) =>
    momentWrites(thread, thread.receivers, alerts, 'firing', d, { guard, opensThread: true })
  return commit(ctx.store.client, [...absorbed, ...threadWrites(thread, thread, notices)])
}

function sameCovers(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(b)
  return (
    keys.length > 0 && keys.length === Object.keys(a).length && keys.every((k) => a[k] === b[k])
  )
}
