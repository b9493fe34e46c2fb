// What operators (API, CLI, dashboard) do with the outbox: counts, dead letters, test notices.
import { and, eq, sql } from 'drizzle-orm'
import type { Notice } from '../plugin/index.ts'
import { type Db, outbox, receiverStates } from '../store/index.ts'
import { noticeId } from './ids.ts'

/** Outbox counts for the dashboard and /metrics. */
export interface OutboxStats {
  pending: number
  delivering: number
  delivered: number
  dead: number
  muted: number
  /** Age of the oldest notice still waiting, in ms (0 when none). */
  oldestPendingMs: number
  disabledReceivers: { receiver: string; reason: string | null }[]
}

export async function outboxStats(db: Db, now: number): Promise<OutboxStats> {
  const counts = await db
    .select({
      status: outbox.status,
      n: sql<number>`count(*)`,
      oldest: sql<number | null>`min(${outbox.createdAt})`,
    })
    .from(outbox)
    .groupBy(outbox.status)
  const by = (status: string) => counts.find((c) => c.status === status)
  const oldest = by('pending')?.oldest
  const disabled = await db
    .select({ receiver: receiverStates.receiver, reason: receiverStates.reason })
    .from(receiverStates)
    .where(eq(receiverStates.disabled, true))
  return {
    pending: Number(by('pending')?.n ?? 0),
    delivering: Number(by('delivering')?.n ?? 0),
    delivered: Number(by('delivered')?.n ?? 0),
    dead: Number(by('dead')?.n ?? 0),
    muted: Number(by('muted')?.n ?? 0),
    oldestPendingMs: oldest ? Math.max(0, now - Number(oldest)) : 0,
    disabledReceivers: disabled,
  }
}

/** Dead letters back to pending with a fresh attempt count (one, or all); returns how many. */
export async function retryDead(db: Db, now: number, id?: string): Promise<number> {
  const result = await db
    .update(outbox)
    .set({ status: 'pending', attempts: 0, nextAttemptAt: now, lastError: null })
    .where(id ? and(eq(outbox.status, 'dead'), eq(outbox.id, id)) : eq(outbox.status, 'dead'))
  return result.rowsAffected
}

/** A harmless notice proving a channel works end to end. */
export function testNotice(receiver: string, now: number, publicUrl: string | undefined): Notice {
  return {
    id: noticeId(now),
    receiver,
    groupKey: `test/${receiver}`,
    status: 'firing',
    severity: 'info',
    title: `test notice from tandem to ${receiver}`,
    summary: 'If you can read this, the channel works. Nothing is wrong.',
    labels: { severity: 'info', event: 'test' },
    events: [],
    actions: [],
    refused: [],
    links: publicUrl ? [{ label: 'dashboard', url: publicUrl }] : [],
    createdAt: now,
  }
}
