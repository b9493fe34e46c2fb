// Decisions a guard held back (cooldown, rate): the audit has each one; people get one "held" notice per cause.
import { and, eq, gt } from 'drizzle-orm'
import { outbox } from '../store/index.ts'
import type { NotifyContext } from './context.ts'
import { loadDispatch, recordNotice } from './dispatch.ts'
import { threadNotice } from './notice.ts'
import type { RunUpdate } from './run-update.ts'
import { loadAlerts, loadThreads, snapshotOf, type ThreadState } from './tables.ts'
import { absorb, coversFromLabels, receiversFor, repeatOf, threadWrites } from './thread-writes.ts'
import { commit, type Write } from './write.ts'

/** Guards that hold a decision back for a while, as opposed to refusing it for a reason to fix. */
const HOLDING_GUARDS = new Set(['cooldown', 'max_runs'])

/** A run refused at its start by a holding guard only, nothing done: a held decision. */
export function isHeld(update: RunUpdate): boolean {
  if (update.moment !== 'blocked') return false
  const refused = update.refused ?? []
  if (refused.length === 0 || !refused.every((r) => HOLDING_GUARDS.has(r.guard))) return false
  return !(update.steps ?? []).some((s) => s.status === 'succeeded' || s.status === 'failed')
}

/**
 * Records a held decision: its alerts join a quiet thread (they do not page on their own), and
 * each receiver gets at most one "held" notice per cause (node/service) per repeat interval.
 * An incident that already has a thread keeps it; the held decision adds nothing there.
 */
export async function applyHeld(
  ctx: NotifyContext,
  update: RunUpdate,
  cause: string,
): Promise<boolean> {
  const [existing] = await loadThreads(ctx.store.db, update.incidentId)
  if (existing) return true
  const covers = coversFromLabels(update.labels)
  const labels = { ...update.labels, policy: update.policy }
  const asked = !update.notifyOn || update.notifyOn.includes('blocked')
  const thread: ThreadState = {
    key: update.incidentId,
    runId: update.runId,
    policy: update.policy,
    phase: 'held',
    title: `${whoOf(covers, cause)} keeps changing`,
    labels,
    covers,
    receivers: receiversFor(
      ctx,
      { ...labels, outcome: 'held' },
      asked ? (update.channels ?? []) : [],
    ),
    alerts: [],
    detail: {
      steps: update.steps ?? [],
      refused: update.refused ?? [],
      summary: summaryOf(update, cause),
    },
    openedAt: ctx.now,
    updatedAt: ctx.now,
    remindAt: null,
    rev: null,
  }
  const absorbed = await absorb(ctx, thread)
  const alerts = [...(await loadAlerts(ctx.store.db, thread.alerts)).values()].map((row) =>
    snapshotOf(row),
  )
  const d = await loadDispatch(ctx)
  const window = repeatOf(ctx.config, { ...labels, outcome: 'held' })
  const notices: Write[] = []
  for (const receiver of thread.receivers) {
    const groupKey = `held/${receiver}/${coverKey(covers, cause)}`
    if (await toldSince(ctx, groupKey, ctx.now - window)) continue
    const notice = threadNotice(thread, receiver, alerts, { status: 'firing' }, d.now, d.publicUrl)
    notices.push(recordNotice({ ...notice, groupKey }, d).write)
  }
  return commit(ctx.store.client, [
    ...absorbed,
    ...notices,
    ...threadWrites(thread, thread, () => []),
  ])
}

async function toldSince(ctx: NotifyContext, groupKey: string, since: number): Promise<boolean> {
  const [row] = await ctx.store.db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.groupKey, groupKey), gt(outbox.createdAt, since)))
    .limit(1)
  return row !== undefined
}

/** "web on node3", "node node2", or the cause's own title when no node/service is named. */
function whoOf(covers: Record<string, string>, cause: string): string {
  const { node, service, vm } = covers
  if (service && node) return `${service} on ${node}`
  if (service) return `service ${service}`
  if (vm) return `guest ${vm}`
  if (node) return `node ${node}`
  return cause
}

function coverKey(covers: Record<string, string>, cause: string): string {
  const entries = Object.entries(covers).sort(([a], [b]) => a.localeCompare(b))
  return entries.length > 0 ? entries.map(([k, v]) => `${k}=${v}`).join(',') : cause
}

function summaryOf(update: RunUpdate, cause: string): string {
  const why = (update.refused ?? []).map((r) => `${r.guard}: ${r.reason}`).join('; ')
  return `${cause}; policy ${update.policy} did not act (${why}). Further decisions like this one go to the audit log only (tandem journal, the dashboard's audit).`
}
