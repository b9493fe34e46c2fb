// Deciding an approval: once, before it expires, with the scope its step needs, audited.
import { eq } from 'drizzle-orm'
import { decideApproval } from '../act/index.ts'
import { approvals, runs, steps } from '../store/index.ts'
import { requireActionScope } from './action-scopes.ts'
import type { Decision } from './approval-links.ts'
import type { Caller } from './auth.ts'
import type { ApiContext } from './deps.ts'
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
 * Approves or denies a pending approval through the executor's own `decideApproval` (one
 * home for the decision and its audit row), after checking the scope the step needs. It
 * decides only a pending, unexpired approval, so two clicks or a replayed link decide once:
 * the second gets 409, an expired one 410. The executor polls the row.
 *
 * @example
 * await decideApprovalFor(api, { id, decision: 'approve', actor: 'api:alice', reason: 'go', caller })
 */
export async function decideApprovalFor(
  api: ApiContext,
  input: { id: string; decision: Decision; actor: string; reason?: string; caller?: Caller },
): Promise<typeof approvals.$inferSelect> {
  const { step } = await approvalWithStep(api, input.id)
  if (input.caller) requireActionScope(api, input.caller, step.uses, `deciding ${step.uses}`)
  const now = api.now()
  try {
    return await decideApproval(api.store.db, input.id, {
      approve: input.decision === 'approve',
      by: input.actor,
      reason: input.reason ?? '',
      now,
    })
  } catch (error) {
    const { approval } = await approvalWithStep(api, input.id)
    if (approval.status === 'pending' && approval.expiresAt > now) throw error
    if (approval.status === 'pending' || approval.status === 'expired')
      throw new HttpError(410, 'BAD_REQUEST', `[api] approval ${input.id} expired`, {
        cause: error,
      })
    throw new HttpError(
      409,
      'STORE_CONFLICT',
      `[api] approval ${input.id} was already ${approval.status} by ${approval.decidedBy ?? 'someone'}`,
      { cause: error },
    )
  }
}
