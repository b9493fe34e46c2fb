// Deciding an approval: once, before it expires, with the scope its step needs, audited.
import { and, eq, gt, sql } from 'drizzle-orm'
import { approvals, auditLog, runs, steps } from '../store/index.ts'
import type { Decision } from './approval-links.ts'
import { allows, type Caller } from './auth.ts'
import type { ApiContext } from './deps.ts'
import { needsFenceScope } from './endpoints/actions.ts'
import { HttpError } from './http-error.ts'

export interface PendingApproval {
  approval: typeof approvals.$inferSelect
  step: typeof steps.$inferSelect
  run: typeof runs.$inferSelect
}

/** The approval with its step and run, or 404. */
export async function approvalWithStep(api: ApiContext, id: string): Promise<PendingApproval> {
  const [row] = await api.store.db
    .select({ approval: approvals, step: steps, run: runs })
    .from(approvals)
    .innerJoin(steps, eq(steps.id, approvals.stepId))
    .innerJoin(runs, eq(runs.id, steps.runId))
    .where(eq(approvals.id, id))
    .limit(1)
  if (!row) throw new HttpError(404, 'NOT_FOUND', `[api] no approval ${id}`)
  return row
}

/**
 * Approves or denies a pending approval. The row changes only while it is pending and not
 * expired (one UPDATE … WHERE status = 'pending'), so two clicks or a replayed link decide
 * once: the second gets 409, an expired one 410. The executor polls the row.
 *
 * @example
 * await decideApproval(api, { id, decision: 'approve', actor: 'api:alice', reason: 'go', caller })
 */
export async function decideApproval(
  api: ApiContext,
  input: { id: string; decision: Decision; actor: string; reason?: string; caller?: Caller },
): Promise<typeof approvals.$inferSelect> {
  const { step, run } = await approvalWithStep(api, input.id)
  if (input.caller && needsFenceScope(api, step.uses) && !allows(input.caller.scopes, 'fence'))
    throw new HttpError(
      403,
      'FORBIDDEN',
      `[api] ${step.uses} fences or migrates: deciding it needs the "fence" scope`,
    )
  const now = api.now()
  const status = input.decision === 'approve' ? 'approved' : 'denied'
  const { db } = api.store
  // One batch: the UPDATE decides only a pending, unexpired approval, and the audit row is
  // written only for the decision this request made (same decider, same instant).
  const [rows] = await db.batch([
    db
      .update(approvals)
      .set({ status, decidedBy: input.actor, reason: input.reason ?? null, decidedAt: now })
      .where(
        and(
          eq(approvals.id, input.id),
          eq(approvals.status, 'pending'),
          gt(approvals.expiresAt, now),
        ),
      )
      .returning(),
    db.run(sql`INSERT INTO ${auditLog} (at, actor, action, target, decision, guard, reason, run_id, step_id)
      SELECT ${now}, ${input.actor}, ${step.uses}, ${step.target}, ${status}, 'approval', ${input.reason ?? null}, ${run.id}, ${step.id}
      FROM ${approvals} WHERE id = ${input.id} AND status = ${status} AND decided_at = ${now} AND decided_by = ${input.actor} AND changes() = 1`),
  ])
  const decided = rows[0]
  if (decided) return decided
  const { approval } = await approvalWithStep(api, input.id)
  if (approval.status === 'pending' && approval.expiresAt <= now) {
    await api.store.db
      .update(approvals)
      .set({ status: 'expired' })
      .where(and(eq(approvals.id, input.id), eq(approvals.status, 'pending')))
    throw new HttpError(410, 'BAD_REQUEST', `[api] approval ${input.id} expired`)
  }
  if (approval.status === 'expired')
    throw new HttpError(410, 'BAD_REQUEST', `[api] approval ${input.id} expired`)
  throw new HttpError(
    409,
    'STORE_CONFLICT',
    `[api] approval ${input.id} was already ${approval.status} by ${approval.decidedBy ?? 'someone'}`,
  )
}
