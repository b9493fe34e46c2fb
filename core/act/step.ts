// One step through the gates: dry run, already fenced, fence-before-recover, guards, approval.

import { crashPoint } from '../crash-points.ts'
import type { PlanStep } from '../policy/index.ts'
import { approvalState, DEFAULT_APPROVAL_TTL_MS, requestApproval } from './approvals.ts'
import { runAttempts } from './attempt.ts'
import { stepContext } from './context.ts'
import { errorText, noteRefusal, type ResolvedAction, type RunScope, stepLabels } from './engine.ts'
import {
  fenceConfirmed,
  fencedThisEpisode,
  fenceStarting,
  offAcceptedThisEpisode,
} from './fence-state.ts'
import { stepRefusal } from './guards.ts'
import { holds } from './hold.ts'
import { appendAudit, markRunning, type StepRow, setStep } from './journal.ts'
import { redactDeep } from './redact.ts'
import { requesterRefusal } from './requester.ts'
import { audit, type StepOutcome } from './step-record.ts'
import type { ClusterSnapshot, Refusal, StepStatus } from './types.ts'

/** `blocked_by` of a step not run because its effect already holds. */
export const IN_EFFECT = 'in_effect'
/** `blocked_by` values that say why a step did not run without any guard refusing it. */
export const NOT_REFUSALS = ['dry_run', IN_EFFECT]

const UNKNOWN_CLUSTER: ClusterSnapshot = { quorate: null, members: null, source: 'not read' }

/**
 * Takes one journaled step from pending to an outcome. Every refusal is journaled and audited
 * with the guard's name before this returns.
 */
export async function executeStep(
  scope: RunScope,
  step: PlanStep,
  row: StepRow,
): Promise<StepOutcome> {
  if (['succeeded', 'failed', 'skipped'].includes(row.status)) return earlierOutcome(row)
  // A step the planner could not resolve never runs, even if its (empty) input would parse.
  if (step.error) return fail(scope, row, `not planned: ${step.error}`)
  const { engine } = scope
  let resolved: ResolvedAction & { input: unknown; config: unknown }
  try {
    const { plugin, action } = engine.registry.action(step.uses)
    const parsed = action.input.safeParse(step.input)
    if (!parsed.success) throw new Error(`[${step.uses}] invalid input: ${parsed.error.message}`)
    resolved = { plugin, action, input: parsed.data, config: engine.configOf(plugin) }
  } catch (error) {
    return fail(scope, row, errorText(error))
  }
  // Before anything else, dry runs included: a requester never learns more than it may ask.
  const denied = requesterRefusal(scope.requester, step.uses, resolved.action)
  if (denied) return refuse(scope, step, row, denied)
  if (scope.dryRun) return dryRun(scope, step, row, resolved)
  const { action, input } = resolved
  const fenceNode = action.fences?.(input) ?? null
  const cluster = await readCluster(scope, action.destructive || !!action.needsFence)
  // Fail closed: a step that cannot tell which nodes must be fenced first does not run.
  const needs = await needsFence(scope, resolved, step.timeoutMs).catch((e: unknown) => e as Error)
  if (needs instanceof Error)
    return refuse(scope, step, row, {
      guard: 'fence_before_recover',
      reason: `cannot tell which nodes must be confirmed fenced first: ${errorText(needs)}`,
    })
  const now = engine.clock.now()
  // One transaction from the checks to the intent: nothing can change in between.
  const decision = await engine.tx(async (tx) => {
    const fenced = fenceNode ? await fencedThisEpisode(tx, fenceNode) : undefined
    if (fenced)
      return {
        skip: `${fenceNode} is already confirmed fenced since its latest failure (at ${new Date(fenced.confirmedAt).toISOString()}): not fencing twice`,
      }
    for (const node of needs) {
      const confirmed = await fenceConfirmed(tx, node, cluster)
      if (!confirmed.ok)
        return { refusal: { guard: 'fence_before_recover', reason: confirmed.reason } }
    }
    const refusal = await stepRefusal(
      tx,
      scope.plan,
      engine.inventory,
      {
        stepId: row.id,
        uses: step.uses,
        destructive: action.destructive,
        fenceNode,
        target: row.target,
        drains: action.drains?.(input) ?? [],
        places: action.places?.(input) ?? [],
        labels: stepLabels(scope.plan, step),
        cluster,
        now,
      },
      engine.blindThreshold,
    )
    if (refusal) return { refusal }
    if (scope.plan.guards.approval === 'required' && action.destructive) {
      const approval = await approvalState(tx, row.id)
      if (approval.state === 'none') {
        const ttl = scope.plan.guards.approvalTtlMs ?? DEFAULT_APPROVAL_TTL_MS
        return { approval: { state: 'pending', id: await requestApproval(tx, row.id, now, ttl) } }
      }
      if (approval.state !== 'approved') return { approval }
    }
    await markRunning(tx, row, audit(scope, row, 'executed', {}), now)
    if (!fenceNode) return {}
    // A power-off already accepted in this episode is only read back, never sent again.
    const acceptedAt = await offAcceptedThisEpisode(tx, fenceNode)
    await fenceStarting(tx, fenceNode, scope.incidentId, now, acceptedAt)
    return { acceptedAt }
  })
  if (decision.skip) return inEffect(scope, row, decision.skip)
  if (decision.refusal)
    return refuse(scope, step, row, decision.refusal, holds(scope, decision.refusal))
  if (decision.approval) {
    if (decision.approval.state === 'pending') crashPoint('approval.requested')
    return awaitApproval(scope, step, row, decision.approval)
  }
  crashPoint('step.running')
  return runAttempts(
    scope,
    step,
    { ...row, attempt: row.attempt + 1 },
    { ...resolved, fenceNode },
    decision.acceptedAt,
  )
}

async function dryRun(
  scope: RunScope,
  step: PlanStep,
  row: StepRow,
  resolved: ResolvedAction & { input: unknown; config: unknown },
): Promise<StepOutcome> {
  const { engine } = scope
  const ctx = stepContext(engine.context, resolved.config, {
    signal: new AbortController().signal,
    timeoutMs: step.timeoutMs,
    dryRun: true,
  })
  let commands: unknown
  try {
    commands = await resolved.action.describe(resolved.input, ctx)
  } catch (error) {
    return fail(scope, row, `describe failed: ${errorText(error)}`)
  }
  const needs = await needsFence(scope, resolved, step.timeoutMs).catch((e: unknown) => [
    `? (${errorText(e)})`,
  ])
  const detail = `dry run: would run ${Array.isArray(commands) ? commands.length : 0} command(s)${needs.length ? `; needs ${needs.join(', ')} confirmed fenced first` : ''}`
  const known = engine.secrets.known()
  await engine.tx(async (tx) => {
    await setStep(tx, row.id, {
      status: 'skipped',
      blockedBy: 'dry_run',
      error: null,
      result: redactDeep({ summary: detail, dryRun: true, commands, needsFence: needs }, known),
      now: engine.clock.now(),
    })
    await appendAudit(tx, audit(scope, row, 'dry_run', { reason: detail }))
  })
  return { status: 'skipped', detail }
}

/** The nodes the action says must be confirmed fenced first (it may read the cluster: `timeoutMs`). */
async function needsFence(
  scope: RunScope,
  resolved: ResolvedAction & { input: unknown; config: unknown },
  timeoutMs: number,
) {
  const { action, input, config } = resolved
  if (!action.needsFence) return [] as string[]
  const ctx = stepContext(scope.engine.context, config, {
    signal: new AbortController().signal,
    timeoutMs,
    dryRun: true,
  })
  return action.needsFence(input, ctx)
}

async function readCluster(scope: RunScope, needed: boolean): Promise<ClusterSnapshot> {
  if (!needed) return UNKNOWN_CLUSTER
  try {
    return await scope.engine.clusterView.snapshot()
  } catch (error) {
    return { ...UNKNOWN_CLUSTER, source: `cluster view failed: ${errorText(error)}` }
  }
}

/**
 * A guard said no: the step is `skipped` and the run stops after it. `held` (a reason that clears
 * by itself: a blind monitor, quorum) instead leaves the step waiting in `blocked` with its run,
 * journaled and audited the same, the people told by the run's `blocked` notice, and
 * releaseHeld() re-tries it once the reason clears.
 */
async function refuse(
  scope: RunScope,
  step: PlanStep,
  row: StepRow,
  given: Refusal,
  held = false,
): Promise<StepOutcome> {
  const { engine } = scope
  noteRefusal(scope, step, given)
  const refusal = held ? { ...given, reason: `${given.reason}; held until that clears` } : given
  engine.log.warn(
    `[act] ${step.uses} ${held ? 'held' : 'refused'} by ${refusal.guard}: ${refusal.reason}`,
    {
      runId: scope.runId,
      step: row.id,
    },
  )
  await engine.tx(async (tx) => {
    await setStep(tx, row.id, {
      status: held ? 'blocked' : 'skipped',
      blockedBy: refusal.guard,
      error: refusal.reason,
      now: engine.clock.now(),
    })
    await appendAudit(tx, audit(scope, row, 'blocked', refusal))
  })
  if (held) return { status: 'blocked', detail: refusal.reason, refusal }
  return {
    status: 'skipped',
    detail: refusal.reason,
    refusal,
    // Both leave a workload down where it was: someone must hear it now.
    escalate: ['fence_before_recover', 'storage_blind'].includes(refusal.guard),
  }
}

/** A step decided before (earlier in this run, before a restart, or by an approval). */
function earlierOutcome(row: StepRow): StepOutcome {
  const detail = row.error ?? 'done earlier'
  const refused = row.blockedBy && !NOT_REFUSALS.includes(row.blockedBy)
  return {
    status: row.status as StepStatus,
    detail,
    ...(refused ? { refusal: { guard: row.blockedBy as string, reason: detail } } : {}),
  }
}

async function awaitApproval(
  scope: RunScope,
  step: PlanStep,
  row: StepRow,
  approval: { state: string; id?: string },
): Promise<StepOutcome> {
  if (approval.state !== 'pending')
    return refuse(scope, step, row, { guard: 'approval', reason: `approval ${approval.state}` })
  const { engine } = scope
  const refusal = { guard: 'approval', reason: `waiting for approval ${approval.id}` }
  noteRefusal(scope, step, refusal)
  await engine.tx(async (tx) => {
    await setStep(tx, row.id, { status: 'blocked', blockedBy: 'approval', error: refusal.reason })
    await appendAudit(tx, audit(scope, row, 'blocked', refusal))
  })
  return { status: 'blocked', detail: refusal.reason, refusal }
}

/**
 * Not run because reading the world back says it already holds: `skipped` with `in_effect`,
 * never `succeeded` (the run reports it as such, `tandem exec` exits 4).
 */
async function inEffect(scope: RunScope, row: StepRow, reason: string): Promise<StepOutcome> {
  const { engine } = scope
  await engine.tx(async (tx) => {
    await setStep(tx, row.id, {
      status: 'skipped',
      blockedBy: IN_EFFECT,
      error: `already in effect: ${reason}`,
      now: engine.clock.now(),
    })
    await appendAudit(tx, audit(scope, row, 'skipped', { guard: IN_EFFECT, reason }))
  })
  return { status: 'skipped', detail: `already in effect: ${reason}` }
}

async function fail(scope: RunScope, row: StepRow, reason: string): Promise<StepOutcome> {
  const { engine } = scope
  const error = redactDeep(reason, engine.secrets.known())
  await engine.tx(async (tx) => {
    await setStep(tx, row.id, { status: 'failed', error, now: engine.clock.now() })
    await appendAudit(tx, audit(scope, row, 'failed', { reason: error }))
  })
  return { status: 'failed', detail: error }
}
