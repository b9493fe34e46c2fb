// Decides how a built notice is recorded: pending delivery, muted by a silence, or dead (receiver disabled).
import { eq } from 'drizzle-orm'
import type { Notice } from '../plugin/index.ts'
import { receiverStates } from '../store/index.ts'
import type { NotifyContext } from './context.ts'
import { enqueue, type Guard } from './outbox.ts'
import { activeSilences, mutingSilence, type Silence } from './silences.ts'
import type { Write } from './write.ts'

/** What decides where a notice goes right now: silences in force, disabled receivers. */
export interface Dispatch {
  now: number
  publicUrl: string | undefined
  silences: Silence[]
  /** Disabled receivers and why (a webhook answered 410 Gone). */
  disabled: Map<string, string>
  /** Hears about failures during maintenance and `escalate()`; the root receiver by default. */
  escalation: string | undefined
}

export async function loadDispatch(ctx: NotifyContext): Promise<Dispatch> {
  const disabled = await ctx.store.db
    .select()
    .from(receiverStates)
    .where(eq(receiverStates.disabled, true))
  return {
    now: ctx.now,
    publicUrl: ctx.config.daemon.public_url,
    silences: await activeSilences(ctx.store.db, ctx.now),
    disabled: new Map(disabled.map((r) => [r.receiver, r.reason ?? 'disabled'])),
    escalation: ctx.config.routes?.escalation ?? ctx.config.routes?.receiver,
  }
}

/**
 * The outbox write for `notice`. A silence matching its labels mutes it (recorded, not sent)
 * unless `mutable` is false (escalations, group notices already filtered alert by alert).
 */
export function recordNotice(
  notice: Notice,
  d: Dispatch,
  options: { guard?: Guard; mutable?: boolean } = {},
): { write: Write; muting?: Silence } {
  const { guard } = options
  const disabled = d.disabled.get(notice.receiver)
  if (disabled)
    return {
      write: enqueue(notice, d.now, {
        status: 'dead',
        reason: `receiver disabled: ${disabled}`,
        guard,
      }),
    }
  const muting = options.mutable === false ? undefined : mutingSilence(d.silences, notice.labels)
  if (muting)
    return {
      write: enqueue(notice, d.now, { status: 'muted', reason: mutedReason(muting), guard }),
      muting,
    }
  return { write: enqueue(notice, d.now, { guard }) }
}

export function mutedReason(silence: Silence): string {
  return `muted by ${silence.kind} ${silence.id} (${silence.createdBy}: ${silence.comment})`
}
