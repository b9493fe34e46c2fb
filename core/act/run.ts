// A run from its journaled steps to an outcome: order, foreach groups, on_failure, notices.

import { eq } from 'drizzle-orm'
import { crashPoint } from '../crash-points.ts'
import type { PlanStep } from '../policy/index.ts'
import { incidents, runs } from '../store/index.ts'
import { runApprovals } from './approvals.ts'
import { errorText, type RunScope } from './engine.ts'
import { finishRun, loadRun, type StepRow, setStep, type Tx } from './journal.ts'
import { closeIncidentNow, endsWithItsRun } from './lifecycle.ts'
import { executeStep, IN_EFFECT, NOT_REFUSALS } from './step.ts'
import type { StepOutcome } from './step-record.ts'
import type { RunReport, RunStatus } from './types.ts'

/**
 * Executes every pending step of a journaled run, in plan order; items of one foreach group
 * run side by side up to the group's concurrency. Returns the run's report.
 */
export async function continueRun(scope: RunScope): Promise<RunReport> {
  const { engine, plan } = scope
  const loaded = await engine.tx((tx) => loadRun(tx, scope.runId))
  if (!loaded) throw new Error(`[act] run ${scope.runId} vanished from the journal`)
  const rows = new Map(loaded.steps.map((row) => [row.id, row]))
  const rowOf = (step: PlanStep) => rows.get(`${scope.runId}/${step.id}`) as StepRow
  let stopped: { after: string; waiting: boolean } | undefined
  for (const batch of batches(plan.steps)) {
    const outcomes = await runBatch(batch, (step) => executeStep(scope, step, rowOf(step)))
    // A step waiting for a person has not acted: the story stays "pending" until it is approved.
    if (!outcomes.every(awaitsApproval)) void scope.acted?.()
    for (const [i, outcome] of outcomes.entries()) {
      const step = batch[i] as PlanStep
      engine.metrics.actions.inc({ uses: step.uses, outcome: outcome.status })
      if (outcome.escalate || (outcome.status === 'failed' && step.onFailure === 'escalate'))
        await escalate(scope, step, outcome)
      if (outcome.status === 'blocked') stopped ??= { after: step.name, waiting: true }
      else if ((outcome.status === 'failed' || outcome.refusal) && step.onFailure !== 'continue')
        stopped ??= { after: step.name, waiting: false }
    }
    if (stopped) break
  }
  if (stopped && !stopped.waiting) await skipRest(scope, stopped.after)
  return finish(scope, stopped?.waiting ?? false)
}

/**
 * The run's `started` notice, sent at most once however often it is called. Errors are
 * logged: a notice never fails a run.
 *
 * @example
 * const announce = announcer(scope) // then announce() once the run first acted
 */
export function announcer(scope: RunScope): () => Promise<void> {
  let sent: Promise<void> | undefined
  return () => {
    sent ??= reportOf(scope, 'running')
      .then((report) => notifyRun(scope, report, 'started'))
      .catch((error) =>
        scope.engine.log.error(
          `[act] started notice for run ${scope.runId} failed: ${errorText(error)}`,
        ),
      )
    return sent
  }
}

/** The run's report, rebuilt from the journal. */
export async function reportOf(scope: RunScope, status: RunStatus): Promise<RunReport> {
  const loaded = await scope.engine.tx((tx) => loadRun(tx, scope.runId))
  return {
    runId: scope.runId,
    incidentId: scope.incidentId,
    status,
    dryRun: scope.dryRun,
    steps: (loaded?.steps ?? []).map((row) => ({
      id: row.id,
      name: row.name,
      uses: row.uses,
      status: row.status as RunReport['steps'][number]['status'],
      blockedBy: row.blockedBy,
      detail: row.error ?? summaryOf(row),
    })),
    refused: scope.refused.map(({ guard, reason }) => ({ guard, reason })),
  }
}

/** Sends a run update to the notice sink; started/succeeded only when the policy asks. */
export async function notifyRun(
  scope: RunScope,
  report: RunReport,
  moment: 'started' | 'succeeded' | 'failed' | 'blocked',
) {
  const { plan, engine } = scope
  if ((moment === 'started' || moment === 'succeeded') && !plan.notify.on.includes(moment)) return
  try {
    const approvals = await engine.tx((tx) => runApprovals(tx, scope.runId))
    await engine.notices.runUpdate({
      incidentId: scope.incidentId,
      runId: scope.runId,
      policy: plan.policy,
      moment,
      status: report.status,
      channels: plan.notify.channels,
      labels: { ...plan.event.labels, policy: plan.policy },
      steps: report.steps.map((s) => ({
        step: s.name,
        uses: s.uses,
        status: s.status,
        detail: s.detail,
      })),
      refused: scope.refused,
      dryRun: scope.dryRun,
      at: engine.clock.now(),
      incidentKey: plan.incidentKey,
      cause: { type: plan.event.type, subject: plan.event.subject },
      ...coversOf(plan),
      approvals,
    })
  } catch (error) {
    engine.log.error(`[act] notice for run ${scope.runId} failed: ${(error as Error).message}`)
  }
}

async function finish(scope: RunScope, waiting: boolean): Promise<RunReport> {
  const { engine } = scope
  const loaded = await engine.tx((tx) => loadRun(tx, scope.runId))
  // `started` before the outcome, also when no step got as far as acting; a run waiting for
  // an approval before it did anything has not started (its notice says what it waits for).
  if (!(waiting && notBegun(loaded?.steps ?? []))) await scope.acted?.()
  const status = runStatus(loaded?.steps ?? [], waiting)
  const now = engine.clock.now()
  await engine.tx(async (tx) => {
    await finishRun(tx, scope.runId, status, waiting ? null : now)
    if (!waiting) await closeIncidentWithNoCause(tx, scope, now, status)
  })
  crashPoint('run.finished')
  const report = await reportOf(scope, status)
  const moment = status === 'succeeded' ? 'succeeded' : status === 'failed' ? 'failed' : 'blocked'
  await notifyRun(scope, report, moment)
  return report
}

/**
 * A run's outcome from its steps: waiting, failed, refused (aborted when something did run),
 * `in_effect` when nothing ran because everything already held, else succeeded.
 */
function runStatus(rows: StepRow[], waiting: boolean): RunStatus {
  if (waiting) return 'blocked'
  const statuses = rows.map((s) => s.status)
  if (statuses.includes('failed')) return 'failed'
  const refused = rows.some((s) => s.blockedBy && !NOT_REFUSALS.includes(s.blockedBy))
  if (refused) return statuses.includes('succeeded') ? 'aborted' : 'blocked'
  if (!statuses.includes('succeeded') && rows.some((s) => s.blockedBy === IN_EFFECT))
    return 'in_effect'
  return 'succeeded'
}

/**
 * An incident with nothing to clear (a manual run's own, a recovery's, a schedule's) ends with
 * its last run; an `--incident` a manual run joined does not.
 */
export async function closeIncidentWithNoCause(
  tx: Tx,
  scope: Pick<RunScope, 'incidentId' | 'runId'>,
  now: number,
  status: RunStatus,
) {
  const [incident] = await tx
    .select({ cause: incidents.cause })
    .from(incidents)
    .where(eq(incidents.id, scope.incidentId))
  if (!endsWithItsRun(incident?.cause)) return
  const mine = await tx
    .select({ id: runs.id, status: runs.status })
    .from(runs)
    .where(eq(runs.incidentId, scope.incidentId))
  if (mine.some((r) => r.id !== scope.runId && r.status === 'running')) return
  await closeIncidentNow(tx, scope.incidentId, now, `its run ${scope.runId} ended ${status}`)
}

async function escalate(scope: RunScope, step: PlanStep, outcome: StepOutcome) {
  const { engine, plan } = scope
  try {
    await engine.notices.escalate({
      incidentId: scope.incidentId,
      runId: scope.runId,
      stepId: `${scope.runId}/${step.id}`,
      severity: 'critical',
      title: `${plan.policy}: ${step.name} (${step.uses}) ${outcome.refusal ? 'refused' : 'failed'}`,
      detail: outcome.detail,
      labels: { ...plan.event.labels, policy: plan.policy, action: step.uses },
      refused: outcome.refusal ? [{ what: step.name, ...outcome.refusal }] : [],
      at: engine.clock.now(),
    })
  } catch (error) {
    engine.log.error(`[act] escalation for ${step.uses} failed: ${(error as Error).message}`)
  }
}

async function skipRest(scope: RunScope, after: string) {
  const { engine } = scope
  const loaded = await engine.tx((tx) => loadRun(tx, scope.runId))
  for (const row of loaded?.steps ?? [])
    if (row.status === 'pending')
      await engine.tx((tx) =>
        setStep(tx, row.id, {
          status: 'skipped',
          error: `not run: the run stopped after "${after}"`,
          now: engine.clock.now(),
        }),
      )
}

function awaitsApproval(outcome: StepOutcome): boolean {
  return outcome.status === 'blocked' && outcome.refusal?.guard === 'approval'
}

/** Nothing ran or is running yet (steps skipped as already in effect did not act either). */
function notBegun(rows: StepRow[]): boolean {
  return rows.every(
    (row) => row.status === 'pending' || row.status === 'blocked' || row.status === 'skipped',
  )
}

/** Consecutive steps of one foreach group form a batch; any other step is a batch of one. */
function batches(steps: readonly PlanStep[]): PlanStep[][] {
  const out: PlanStep[][] = []
  for (const step of steps) {
    const last = out.at(-1)
    if (step.group && last?.[0]?.group === step.group) last.push(step)
    else out.push([step])
  }
  return out
}

async function runBatch(
  batch: PlanStep[],
  run: (step: PlanStep) => Promise<StepOutcome>,
): Promise<StepOutcome[]> {
  const limit = Math.max(1, batch[0]?.concurrency ?? 1)
  const results: StepOutcome[] = new Array(batch.length)
  let next = 0
  const worker = async () => {
    while (next < batch.length) {
      const i = next++
      results[i] = await run(batch[i] as PlanStep)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, batch.length) }, worker))
  return results
}

function summaryOf(row: StepRow): string {
  const summary = (row.result as { summary?: unknown } | null)?.summary
  return typeof summary === 'string' ? summary : row.status
}

/**
 * The thread's cover from the policy's `notify.covers`: the trigger's values of those labels.
 * A trigger missing one of them keeps the default cover (its node, service, vm), never a
 * cover of nothing that would take in every alert.
 */
function coversOf(plan: RunScope['plan']): { covers?: Record<string, string> } {
  const names = plan.notify.covers
  if (!names) return {}
  const labels = plan.event.labels
  if (!names.every((n) => typeof labels[n] === 'string' && labels[n] !== '')) return {}
  return { covers: Object.fromEntries(names.map((n) => [n, labels[n] as string])) }
}
