// A run waiting for a person's approval is a pending story ("waiting for approval to …"), and a refused or expired approval ends it plainly.
import type { RunApproval } from '../act/index.ts'
import type { ThreadState } from './tables.ts'

/** One approval of a run, as the executor reports it. */
export type ApprovalNote = RunApproval

/** The approvals a blocked run waits on; none for any other moment. */
export function awaitedApprovals(update: {
  moment: string
  approvals?: readonly ApprovalNote[]
}): ApprovalNote[] {
  if (update.moment !== 'blocked') return []
  return (update.approvals ?? []).filter((a) => a.status === 'pending')
}

/** The approval whose refusal (denied, or nobody decided in time) stopped a blocked run. */
export function refusedApproval(update: {
  moment: string
  approvals?: readonly ApprovalNote[]
}): ApprovalNote | undefined {
  if (update.moment !== 'blocked') return undefined
  const approvals = update.approvals ?? []
  if (approvals.some((a) => a.status === 'pending')) return undefined
  return approvals.findLast((a) => a.status === 'denied' || a.status === 'expired')
}

/**
 * What the headline says while a person must decide, or once they refused:
 * "waiting for approval to fence the dead node (node2) — approve at https://…/incidents/inc-…".
 */
export function approvalPhrase(
  thread: Pick<ThreadState, 'phase' | 'policy' | 'detail'>,
  incidentUrl: string | undefined,
): string | undefined {
  const [approval] = thread.detail.approvals ?? []
  if (!approval) return undefined
  if (thread.phase === 'pending') {
    const where = incidentUrl ? `approve at ${incidentUrl}` : `tandem approve ${approval.id}`
    return `waiting for approval to ${stepOf(approval)} — ${where}`
  }
  if (thread.phase !== 'blocked') return undefined
  if (approval.status === 'denied')
    return `approval to ${stepOf(approval)} denied by ${approval.decidedBy ?? 'someone'}; policy ${thread.policy} stopped`
  if (approval.status === 'expired')
    return `nobody approved ${stepOf(approval)} in time; policy ${thread.policy} stopped`
  return undefined
}

/** The body of an approval notice: which step, its approval id, until when, how to decide. */
export function approvalSummary(
  thread: Pick<ThreadState, 'phase' | 'policy' | 'detail'>,
  incidentUrl: string | undefined,
): string | undefined {
  const approvals = thread.detail.approvals ?? []
  if (approvals.length === 0) return undefined
  if (thread.phase === 'pending')
    return approvals
      .map(
        (a) =>
          `Policy ${thread.policy} waits for a person before "${a.step}" (${a.uses}${a.target ? ` ${a.target}` : ''}): approval ${a.id}, until ${new Date(a.expiresAt).toISOString()}. ${incidentUrl ? `Decide at ${incidentUrl}, or run` : 'Run'} \`tandem approve ${a.id} --reason …\` or \`tandem deny ${a.id} --reason …\`; nothing runs until then.`,
      )
      .join(' ')
  const [refused] = approvals
  if (thread.phase !== 'blocked' || !refused) return undefined
  const why = refused.reason ? ` (${refused.reason})` : ''
  const said =
    refused.status === 'denied'
      ? `${refused.decidedBy ?? 'someone'} denied approval ${refused.id}${why}`
      : `approval ${refused.id} expired at ${new Date(refused.expiresAt).toISOString()} with nobody deciding`
  return `${said}: "${refused.step}" and the steps after it did not run. The incident stays open until its cause clears.`
}

/** "fence the dead node (node2)": the step's name, and its target when the name lacks it. */
function stepOf(approval: ApprovalNote): string {
  const { step, target } = approval
  return target && !step.includes(target) ? `${step} (${target})` : step
}
