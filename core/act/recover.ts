// Start-up recovery: steps left running by a dead daemon become unknown and are read back.
import { eq, inArray } from 'drizzle-orm'
import type { Plan, PlanStep } from '../policy/index.ts'
import { runs } from '../store/index.ts'
import { stepContext } from './context.ts'
import { type Engine, errorText, type RunScope, scopeOf } from './engine.ts'
import { fenceFailed, fenceSucceeded, stillAnswers } from './fence-state.ts'
import { appendAudit, type StepRow, setStep, stepsWithStatus } from './journal.ts'
import { waitForOrphans } from './processes.ts'
import { storedRequester } from './requester.ts'

/**
 * Marks every `running` step `unknown`, waits for the processes it left behind, then asks the
 * action's `verify`: done → succeeded; not done → pending again (re-run only because real state
 * says it did not happen); no way to tell and not idempotent → failed and escalated, never
 * re-fired. Returns the scopes of the runs to resume. Runs in `active` are still running in this
 * process (a leader that re-took its own lapsed lease): they are left alone; given `only`, just
 * those runs are looked at.
 */
export async function recoverInterrupted(
  engine: Engine,
  active: ReadonlySet<string> = new Set(),
  only?: ReadonlySet<string>,
): Promise<RunScope[]> {
  const mine = (row: { runId: string }) =>
    !active.has(row.runId) && (only === undefined || only.has(row.runId))
  const interrupted = await engine.tx(async (tx) => {
    const rows = (await stepsWithStatus(tx, ['running'])).filter(mine)
    const ids = [...new Set(rows.map((r) => r.runId))]
    const owners = ids.length
      ? await tx
          .select({ id: runs.id, actor: runs.actor, trigger: runs.trigger })
          .from(runs)
          .where(inArray(runs.id, ids))
      : []
    for (const row of rows) {
      const owner = owners.find((o) => o.id === row.runId)
      const actor = owner
        ? actorOf(engine, owner.actor, storedRequester(owner.trigger))
        : engine.actor
      await setStep(tx, row.id, { status: 'unknown' })
      await appendAudit(
        tx,
        entry(actor, engine, row, 'unknown', 'tandem stopped while this step ran'),
      )
    }
    return rows
  })
  const unknown = [
    ...interrupted,
    ...(await engine.tx((tx) => stepsWithStatus(tx, ['unknown']))).filter(
      (row) => mine(row) && !interrupted.some((r) => r.id === row.id),
    ),
  ]
  const runRows = await loadRuns(engine, [...new Set(unknown.map((r) => r.runId))])
  for (const row of unknown) {
    const run = runRows.get(row.runId)
    if (run) await settle(engine, scopeOf(engine, run), row)
  }
  const open = await engine.tx((tx) => tx.select().from(runs).where(eq(runs.status, 'running')))
  return open.filter((run) => mine({ runId: run.id })).map((run) => scopeOf(engine, run))
}

async function settle(engine: Engine, scope: RunScope, row: StepRow): Promise<void> {
  const step = (scope.plan as Plan).steps.find((s) => `${scope.runId}/${s.id}` === row.id)
  const timeoutMs = step?.timeoutMs ?? 60_000
  await waitForOrphans(row.processes ?? [], timeoutMs)
  let verdict = await readBack(engine, row, step, timeoutMs)
  const cluster =
    row.fenceNode && verdict.kind === 'done'
      ? await engine.clusterView.snapshot().catch(() => null)
      : null
  const now = engine.clock.now()
  await engine.tx(async (tx) => {
    if (row.fenceNode && verdict.kind === 'done') {
      // Confirmed only when the node stopped answering too; else unclean, never re-fired blindly.
      const answering = cluster
        ? await stillAnswers(tx, row.fenceNode, cluster)
        : 'cannot be checked (no cluster view)'
      if (answering)
        verdict = {
          kind: 'unknowable',
          detail: `interrupted; the fence agent says off but ${row.fenceNode} ${answering}`,
        }
    }
    if (verdict.kind === 'done') {
      await setStep(tx, row.id, {
        status: 'succeeded',
        error: null,
        result: { summary: `verified after restart: ${verdict.detail}` },
        now,
      })
      if (row.fenceNode) await fenceSucceeded(tx, row.fenceNode, scope.incidentId, row.uses, now)
      await appendAudit(
        tx,
        entry(
          actorOf(engine, scope.actor, scope.requester),
          engine,
          row,
          'recovered',
          `verify: ${verdict.detail}`,
        ),
      )
    } else if (verdict.kind === 'not-done') {
      await setStep(tx, row.id, {
        status: 'pending',
        error: `interrupted; verify: ${verdict.detail}`,
      })
      await appendAudit(
        tx,
        entry(
          scope.actor,
          engine,
          row,
          'recovered',
          `not done (${verdict.detail}): will run again`,
        ),
      )
    } else {
      await setStep(tx, row.id, { status: 'failed', error: verdict.detail, now })
      if (row.fenceNode) await fenceFailed(tx, row.fenceNode, scope.incidentId, now, verdict.detail)
      await appendAudit(
        tx,
        entry(actorOf(engine, scope.actor, scope.requester), engine, row, 'failed', verdict.detail),
      )
    }
  })
  if (verdict.kind === 'unknowable')
    await engine.notices.escalate({
      incidentId: scope.incidentId,
      runId: scope.runId,
      stepId: row.id,
      severity: 'critical',
      title: `${row.uses} was interrupted and cannot be verified`,
      detail: verdict.detail,
      labels: { ...scope.plan.event.labels, policy: scope.plan.policy, action: row.uses },
      refused: [],
      at: now,
    })
}

async function readBack(
  engine: Engine,
  row: StepRow,
  step: PlanStep | undefined,
  timeoutMs: number,
): Promise<{ kind: 'done' | 'not-done' | 'unknowable'; detail: string }> {
  try {
    const { plugin, action } = engine.registry.action(row.uses)
    const input = action.input.parse(step?.input ?? row.input)
    if (!action.verify)
      return action.idempotent
        ? { kind: 'not-done', detail: 'no verify; idempotent, safe to repeat' }
        : {
            kind: 'unknowable',
            detail: 'interrupted, no verify and not idempotent: not re-fired; check by hand',
          }
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    try {
      const ctx = stepContext(engine.context, engine.configOf(plugin), {
        signal: controller.signal,
        timeoutMs,
        dryRun: false,
      })
      const result = await action.verify(input, ctx)
      return { kind: result.ok ? 'done' : 'not-done', detail: result.detail }
    } finally {
      clearTimeout(timer)
    }
  } catch (error) {
    return {
      kind: 'unknowable',
      detail: `interrupted and verify failed: ${errorText(error)}; not re-fired`,
    }
  }
}

async function loadRuns(engine: Engine, ids: string[]) {
  if (ids.length === 0) return new Map()
  const rows = await engine.tx((tx) => tx.select().from(runs).where(inArray(runs.id, ids)))
  return new Map(rows.map((r) => [r.id, r]))
}

/**
 * Who the audit names for a recovered step: a requester's run stays the requester's (who asked
 * decides, and the trail says so); a run fired by an event is this daemon's, which recovers it.
 */
function actorOf(engine: Engine, runActor: string, requester: unknown): string {
  return requester ? runActor : engine.actor
}

function entry(actor: string, engine: Engine, row: StepRow, decision: string, reason: string) {
  return {
    at: engine.clock.now(),
    actor,
    action: row.uses,
    target: row.target,
    decision,
    guard: null,
    reason,
    argv: row.commands,
    runId: row.runId,
    stepId: row.id,
  }
}
