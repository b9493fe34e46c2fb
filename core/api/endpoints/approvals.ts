// Approvals: the pending list, approve/deny by an operator, and the signed single-use links in notices.
import { and, desc, eq, gt, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { approvals, runs, steps } from '../../store/index.ts'
import { type Decision, verifyApprovalLink } from '../approval-links.ts'
import { approvalWithStep, decideApprovalFor } from '../approvals.ts'
import { approvalPage } from '../dashboard/approval-page.tsx'
import { HttpError } from '../http-error.ts'
import { endpoint } from '../route.ts'
import { ApprovalOut, RunOut, redactSecrets, StepOut } from '../schemas.ts'
import { commandsOf } from '../views/incident-detail.ts'

const Item = ApprovalOut.extend({ step: StepOut, run: RunOut })

export const listApprovals = endpoint({
  summary: 'Approvals (pending by default) with the step and run waiting on them',
  tag: 'approvals',
  query: z.object({
    status: z.enum(['pending', 'approved', 'denied', 'expired', 'all']).default('pending'),
  }),
  response: z.object({ items: z.array(Item) }),
  handler: async ({ c, api, query }) => {
    const now = api.now()
    const filter: SQL | undefined =
      query.status === 'all'
        ? undefined
        : query.status === 'pending'
          ? and(eq(approvals.status, 'pending'), gt(approvals.expiresAt, now))
          : eq(approvals.status, query.status)
    const rows = await api.store.db
      .select({ approval: approvals, step: steps, run: runs })
      .from(approvals)
      .innerJoin(steps, eq(steps.id, approvals.stepId))
      .innerJoin(runs, eq(runs.id, steps.runId))
      .where(filter)
      .orderBy(desc(approvals.requestedAt))
      .limit(200)
    return c.json({
      items: rows.map((r) => ({
        ...r.approval,
        step: { ...redactSecrets(r.step), commands: commandsOf(r.step.commands) },
        run: redactSecrets(r.run),
      })),
    })
  },
})

const DecisionBody = z.strictObject({ reason: z.string().trim().max(1000).optional() })
const DenyBody = z.strictObject({ reason: z.string().trim().min(1, 'say why').max(1000) })
const Params = z.object({ id: z.string().min(1).max(200) })

export const approve = decisionEndpoint(
  'approve',
  'Approve a pending step (once; fencing and migration steps need the fence scope)',
  DecisionBody,
)

export const deny = decisionEndpoint('deny', 'Deny a pending step, with a reason', DenyBody)

const LinkParams = z.object({ token: z.string().min(10).max(2000) })

export const approvalLinkPage = endpoint({
  summary: 'Confirmation page of a signed approval link (opening it decides nothing)',
  tag: 'approvals',
  params: LinkParams,
  produces: 'text/html',
  handler: async ({ c, api, params }) => {
    const claims = verifyApprovalLink(api.config.linkSecret ?? '', params.token, api.now())
    const { approval, step, run } = await approvalWithStep(api, claims.approvalId)
    const page = approvalPage({
      claims,
      approval,
      step: redactSecrets(step),
      run,
      commands: commandsOf(step.commands),
    })
    c.header('Content-Security-Policy', page.csp)
    return c.html(page.html)
  },
})

export const useApprovalLink = endpoint({
  summary: 'Decide through a signed approval link (single use, expiring)',
  tag: 'approvals',
  params: LinkParams,
  body: DecisionBody,
  response: ApprovalOut,
  // The link is its own credential: checked before the body is read.
  admit: ({ api, params }) => {
    verifyApprovalLink(api.config.linkSecret ?? '', params.token, api.now())
  },
  handler: async ({ c, api, params, body }) => {
    const claims = verifyApprovalLink(api.config.linkSecret ?? '', params.token, api.now())
    if (claims.decision === 'deny' && !body.reason)
      throw new HttpError(400, 'BAD_REQUEST', '[api] say why you deny')
    return c.json(
      await decideApprovalFor(api, {
        id: claims.approvalId,
        decision: claims.decision,
        actor: `link:${claims.decision}`,
        reason: body.reason,
      }),
    )
  },
})

function decisionEndpoint(
  decision: Decision,
  summary: string,
  body: typeof DecisionBody | typeof DenyBody,
) {
  return endpoint({
    summary,
    tag: 'approvals',
    params: Params,
    body,
    response: ApprovalOut,
    handler: async ({ c, api, params, body, caller }) =>
      c.json(
        await decideApprovalFor(api, {
          id: params.id,
          decision,
          actor: `api:${caller?.name}`,
          reason: body.reason,
          caller,
        }),
      ),
  })
}
