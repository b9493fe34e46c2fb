// Receivers that are gone for good (a webhook answered 410 Gone): disabled visibly, enabled by a human.
import { eq } from 'drizzle-orm'
import type { Config } from '../inventory/index.ts'
import type { Logger, Notice } from '../plugin/index.ts'
import { type Db, receiverStates } from '../store/index.ts'
import { escalationNotice } from './notice.ts'
import { enqueue, killPending } from './outbox.ts'
import type { Write } from './write.ts'

/**
 * The writes that disable a receiver: its state (shown on the dashboard), its pending notices
 * turned into dead letters, and a notice to the escalation receiver saying so.
 */
export function disableReceiver(
  deps: { config: Config; log: Logger; now(): number },
  notice: Notice,
  detail: string,
): Write[] {
  const now = deps.now()
  const receiver = notice.receiver
  const reason = `${detail} (at ${new Date(now).toISOString()})`
  deps.log.error('[notify] receiver disabled; its notices are dead letters until it is enabled', {
    receiver,
    detail,
  })
  const writes: Write[] = [
    {
      stmt: {
        sql: `INSERT INTO receiver_states (receiver, disabled, reason, updated_at) VALUES (?, 1, ?, ?)
              ON CONFLICT (receiver) DO UPDATE SET disabled = 1, reason = excluded.reason, updated_at = excluded.updated_at`,
        args: [receiver, reason, now],
      },
    },
    killPending(receiver, `receiver disabled: ${reason}`),
  ]
  const escalation = deps.config.routes?.escalation ?? deps.config.routes?.receiver
  if (escalation && escalation !== receiver) {
    const warning = escalationNotice(
      {
        incidentId: `receiver/${receiver}`,
        severity: 'warning',
        title: `notification channel ${receiver} was disabled`,
        detail: `${detail}. Notices for ${receiver} are kept as dead letters; enable the channel once it is fixed.`,
        labels: { receiver, severity: 'warning' },
      },
      escalation,
      now,
      deps.config.daemon.public_url,
    )
    writes.push(enqueue(warning, now))
  }
  return writes
}

/** Enables a disabled receiver again; returns false when it was not disabled. */
export async function enableReceiver(db: Db, receiver: string, now: number): Promise<boolean> {
  const result = await db
    .update(receiverStates)
    .set({ disabled: false, reason: null, updatedAt: now })
    .where(eq(receiverStates.receiver, receiver))
  return result.rowsAffected > 0
}
