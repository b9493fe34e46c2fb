// The periodic half of routing: flush due groups into the outbox, remind about open incident threads.
import { type NotifyContext, timersOf } from './context.ts'
import { loadDispatch, mutedReason, recordNotice } from './dispatch.ts'
import { flushGroup } from './groups.ts'
import { groupNotice } from './notice.ts'
import { enqueue, type Guard } from './outbox.ts'
import { mutingSilence } from './silences.ts'
import { dueGroups, loadAlerts, remindableThreads, saveGroup } from './tables.ts'
import { momentWrites, repeatOf, threadWrites } from './thread-writes.ts'
import { commit, type Write } from './write.ts'

const FLUSH_BATCH = 100

/**
 * Flushes every group whose time has come; returns how many notices it queued. A group another
 * instance flushed first is skipped (its revision changed), never sent twice.
 */
export async function flushDueGroups(ctx: NotifyContext): Promise<number> {
  let queued = 0
  for (;;) {
    const groups = await dueGroups(ctx.store.db, ctx.now, FLUSH_BATCH)
    if (groups.length === 0) return queued
    const d = await loadDispatch(ctx)
    const isMuted = (labels: Record<string, string>) =>
      mutingSilence(d.silences, labels) !== undefined
    const writes: Write[] = []
    for (const group of groups) {
      const result = flushGroup(
        group,
        timersOf(ctx.config, group.route, group.receiver),
        ctx.now,
        isMuted,
      )
      const guard: Guard | undefined =
        group.rev === null ? undefined : { table: 'notify_groups', key: group.key, rev: group.rev }
      if (result.send) {
        const notice = groupNotice(group, result.send, ctx.now, d.publicUrl)
        writes.push(recordNotice(notice, d, { guard, mutable: false }).write)
        queued++
      }
      const mutedFiring = result.mutedNow.filter((a) => a.status === 'firing')
      const silence = mutedFiring[0] && mutingSilence(d.silences, mutedFiring[0].labels)
      if (silence) {
        const notice = groupNotice(
          group,
          { firing: mutedFiring, resolved: [] },
          ctx.now,
          d.publicUrl,
        )
        writes.push(
          enqueue(notice, ctx.now, { status: 'muted', reason: mutedReason(silence), guard }),
        )
      }
      writes.push(...saveGroup(group, result.next))
    }
    await commit(ctx.store.client, writes)
    if (groups.length < FLUSH_BATCH) return queued
  }
}

/**
 * Reminds about threads whose alerts still fire after repeat_interval ("still unresolved"),
 * and closes finished threads that have nothing firing any more.
 */
export async function remindThreads(ctx: NotifyContext): Promise<void> {
  const threads = await remindableThreads(ctx.store.db, ctx.now)
  if (threads.length === 0) return
  const d = await loadDispatch(ctx)
  const writes: Write[] = []
  for (const thread of threads) {
    const alerts = [...(await loadAlerts(ctx.store.db, thread.alerts)).values()]
    const firing = alerts.filter((a) => a.status === 'firing')
    if (firing.length === 0 && thread.phase !== 'handling') {
      writes.push(...threadWrites(thread, null, () => []))
      continue
    }
    const next = {
      ...thread,
      updatedAt: ctx.now,
      remindAt: ctx.now + repeatOf(ctx.config, { ...thread.labels, outcome: thread.phase }),
    }
    writes.push(
      ...threadWrites(thread, next, (guard) =>
        momentWrites(next, next.receivers, alerts, 'firing', d, { guard, reminder: true }),
      ),
    )
  }
  await commit(ctx.store.client, writes)
}
