// The executor: plans in, guarded and journaled actions out; resumes after a crash.
import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { crashPoint } from '../crash-points.ts'
import type { Requester } from '../plugin-host/index.ts'
import type { Plan } from '../policy/index.ts'
import { runs } from '../store/index.ts'
import { decidedBlockedSteps, expireApprovals } from './approvals.ts'
import { createEngine, type Engine, isStaleLeader, type RunScope, scopeOf } from './engine.ts'
import { runRefusal } from './guards.ts'
import { releaseHeld } from './hold.ts'
import { appendAudit, finishRun, insertRun, type NewStep, setStep, type Tx } from './journal.ts'
import { openIncident } from './lifecycle.ts'
import { type ManualOptions, manualPlan } from './manual.ts'
import { recoverInterrupted } from './recover.ts'
import { redactDeep } from './redact.ts'
import { announcer, closeIncidentWithNoCause, continueRun, notifyRun, reportOf } from './run.ts'
import type { ExecutorDeps, Refusal, RunReport, RunStatus } from './types.ts'

/** How one execute() call is identified and what else its intent transaction must carry. */
export interface ExecuteOptions {
  actor?: string
  /** Attach to this incident instead of the plan's own. */
  incidentId?: string
  /**
   * What this run carries out, once (default: the triggering event and policy, or a fresh id
   * when the event is not stored). A second execute() with the same key returns the first run.
   */
  runKey?: string
  /**
   * Written in the same transaction as the run's intents (e.g. consuming the `for:` timer that
   * fired it), so a crash leaves both or neither.
   */
  withIntent?: (tx: Tx) => Promise<void>
  /**
   * A time window (cooldown) refused the run: store it to try again at `until`, in the refusal's
   * transaction (the policy area's deferred runs). Without it, the refusal is final.
   */
  defer?: (tx: Tx, until: number) => Promise<void>
  /** Who asked (an API token): every step needs a scope it holds. None: the daemon's own run. */
  requester?: Requester
}

export interface Executor {
  /** Runs one plan: guards, journal, plugins, verify, notices. */
  execute(plan: Plan, options?: ExecuteOptions): Promise<RunReport>
  /**
   * Resolves once every run execute() began so far has acted (first command spawned, first step
   * decided, refused or ended), or after `timeoutMs`. The leader holds its other store work
   * (cursor, notices, timers) until then: on one store connection, whatever it queued would
   * stand between a node.down and its fence.
   */
  acting(timeoutMs: number): Promise<void>
  /**
   * At start-up or on (re)gaining the lease: in-flight steps of runs not running here become
   * unknown, are verified, and their runs resume.
   */
  recover(): Promise<RunReport[]>
  /**
   * Resumes the runs this process stopped because its own lease lapsed under them (a late
   * renewal, re-taken with the same token); other runs, a CLI's in flight included, are left.
   */
  resumeAbandoned(): Promise<RunReport[]>
  /** Resumes runs whose approval was granted, ends those denied or expired. */
  pollApprovals(): Promise<RunReport[]>
  /**
   * Resumes runs held by a transient guard (monitor_blind, quorum, busy_target) once it cleared,
   * and ends those whose incident stopped being open, or whose cause was undone, meanwhile.
   */
  pollHeld(): Promise<RunReport[]>
  /** One action by hand (`tandem exec`), through the same guards, journal and audit. */
  runManual(
    uses: string,
    input: Record<string, unknown>,
    options?: ManualOptions,
  ): Promise<RunReport>
}

/**
 * Builds the executor the daemon runs (only the leader calls it).
 *
 * @example
 * const executor = createExecutor({ store, registry, inventory, secrets, log, notices, clusterView })
 * await executor.recover()
 * const report = await executor.execute(plan)
 */
export function createExecutor(deps: ExecutorDeps): Executor {
  const engine = createEngine(deps)
  const active = new Set<string>()
  // Runs this process stopped because its lease lapsed under them: resumed once it leads again.
  const abandoned = new Set<string>()
  const resume = async (scope: RunScope) => {
    if (active.has(scope.runId)) return reportOf(scope, 'running')
    active.add(scope.runId)
    try {
      return await continueRun(scope)
    } catch (error) {
      if (isStaleLeader(error)) abandoned.add(scope.runId)
      throw error
    } finally {
      active.delete(scope.runId)
    }
  }
  const beginning = new Set<Promise<void>>()
  const execute: Executor['execute'] = async (plan, options = {}) => {
    let acted!: () => void
    const first = new Promise<void>((resolve) => {
      acted = resolve
    })
    beginning.add(first)
    void first.then(() => beginning.delete(first))
    try {
      const begun = await begin(engine, plan, options)
      crashPoint('run.intent')
      if (begun.existing) {
        acted()
        const status = begun.existing as RunStatus
        return status === 'running' ? await resume(begun.scope) : reportOf(begun.scope, status)
      }
      if (begun.refusal) {
        acted()
        const report = await reportOf(begun.scope, 'blocked')
        await notifyRun(begun.scope, report, 'blocked')
        return report
      }
      const announce = plan.notify.on.includes('started') ? announcer(begun.scope) : undefined
      begun.scope.acted = () => {
        acted()
        return announce?.() ?? Promise.resolve()
      }
      return await resume(begun.scope)
    } finally {
      acted()
    }
  }
  return {
    execute,
    acting: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs)
      })
      await Promise.race([Promise.all([...beginning]), limit])
      clearTimeout(timer)
    },
    async recover() {
      const scopes = await recoverInterrupted(engine, active)
      const reports: RunReport[] = []
      for (const scope of scopes) reports.push(await resume(scope))
      return reports
    },
    async resumeAbandoned() {
      const only = new Set(abandoned)
      if (only.size === 0) return []
      abandoned.clear()
      let scopes: RunScope[]
      try {
        scopes = await recoverInterrupted(engine, active, only)
      } catch (error) {
        for (const runId of only) abandoned.add(runId)
        throw error
      }
      const reports: RunReport[] = []
      for (const scope of scopes) reports.push(await resume(scope))
      return reports
    },
    async pollApprovals() {
      const scopes = await decideApprovals(engine)
      const reports: RunReport[] = []
      for (const scope of scopes) reports.push(await resume(scope))
      return reports
    },
    async pollHeld() {
      const reports: RunReport[] = []
      for (const scope of await releaseHeld(engine)) reports.push(await resume(scope))
      return reports
    },
    async runManual(uses, input, options = {}) {
      const plan = await manualPlan(engine, uses, input, options)
      return execute(plan, {
        actor: options.actor,
        incidentId: options.incidentId,
        runKey: options.runKey ?? `manual:${randomUUID()}`,
        requester: options.requester,
      })
    },
  }
}

async function begin(
  engine: Engine,
  plan: Plan,
  options: ExecuteOptions,
): Promise<{ scope: RunScope; refusal?: Refusal; existing?: string }> {
  const now = engine.clock.now()
  const dryRun = plan.dryRun || engine.dryRun
  const actor = options.actor ?? engine.actor
  const known = engine.secrets.known()
  const planned = plan.steps.map((step) => plannedStep(engine, step, known))
  const runKey = options.runKey ?? defaultRunKey(plan)
  return engine.tx(async (tx) => {
    await options.withIntent?.(tx)
    const [prior] = await tx.select().from(runs).where(eq(runs.runKey, runKey)).limit(1)
    if (prior) return { scope: scopeOf(engine, prior), existing: prior.status }
    const incidentId =
      options.incidentId ??
      (await openIncident(tx, {
        key: plan.incidentKey,
        title: title(plan),
        eventId: plan.event.id,
        cause: plan.event.type,
        subject: plan.event.subject,
        now,
        fresh: plan.policy === 'manual',
      }))
    const refusal = dryRun ? undefined : await runRefusal(tx, plan, now, engine.maxConcurrentRuns)
    const stored = redactDeep(plan, known)
    const { requester } = options
    const { runId } = await insertRun(
      tx,
      { incidentId, plan: stored, actor, dryRun, now, runKey, requester },
      planned,
    )
    const scope: RunScope = {
      engine,
      plan,
      runId,
      incidentId,
      actor,
      requester,
      dryRun,
      refused: [],
    }
    if (!refusal) return { scope }
    if (refusal.until !== undefined && options.defer) {
      await options.defer(tx, refusal.until)
      refusal.reason += `; deferred until ${new Date(refusal.until).toISOString()}`
    }
    scope.refused.push({ what: `policy ${plan.policy}`, ...refusal })
    engine.metrics.guardBlocks.inc({ guard: refusal.guard })
    for (const step of plan.steps)
      await setStep(tx, `${runId}/${step.id}`, {
        status: 'skipped',
        blockedBy: refusal.guard,
        error: refusal.reason,
        now,
      })
    await finishRun(tx, runId, 'blocked', now)
    // A refused recovery or schedule has nothing left to wait for either.
    await closeIncidentWithNoCause(tx, { incidentId, runId }, now, 'blocked')
    await appendAudit(tx, {
      at: now,
      actor,
      action: plan.policy,
      target: plan.incidentKey,
      decision: 'blocked',
      guard: refusal.guard,
      reason: refusal.reason,
      argv: planned.flatMap((s) => s.commands),
      runId,
      stepId: null,
    })
    engine.log.warn(`[act] ${plan.policy} refused by ${refusal.guard}: ${refusal.reason}`)
    return { scope, refusal }
  })
}

function plannedStep(
  engine: Engine,
  step: Plan['steps'][number],
  known: readonly string[],
): NewStep {
  let traits = {
    target: null as string | null,
    destructive: false,
    fenceNode: null as string | null,
  }
  try {
    const { action } = engine.registry.action(step.uses)
    const input = action.input.safeParse(step.input)
    const parsed = input.success ? input.data : undefined
    traits = {
      target: parsed !== undefined ? (action.target?.(parsed) ?? null) : null,
      destructive: action.destructive,
      fenceNode: parsed !== undefined ? (action.fences?.(parsed) ?? null) : null,
    }
  } catch {
    // An unknown action is journaled as planned and fails when its turn comes, with the reason.
  }
  return {
    planId: step.id,
    name: step.name,
    uses: step.uses,
    input: redactDeep(step.input, known),
    commands: redactDeep(
      step.commands.map((c) => c.argv),
      known,
    ),
    ...traits,
  }
}

async function decideApprovals(engine: Engine): Promise<RunScope[]> {
  const now = engine.clock.now()
  const decided = await engine.tx(async (tx) => {
    await expireApprovals(tx, now)
    const rows = await decidedBlockedSteps(tx)
    for (const row of rows) {
      if (row.status === 'approved')
        await setStep(tx, row.stepId, { status: 'pending', blockedBy: null, error: null })
      else {
        await setStep(tx, row.stepId, {
          status: 'skipped',
          blockedBy: 'approval',
          error: `approval ${row.status}`,
          now,
        })
        if (row.status === 'expired')
          await appendAudit(tx, {
            at: now,
            actor: engine.actor,
            action: row.uses,
            target: row.target,
            decision: 'expired',
            guard: 'approval',
            reason: 'nobody decided before the approval expired',
            argv: row.commands,
            runId: row.runId,
            stepId: row.stepId,
          })
      }
      await tx
        .update(runs)
        .set({ status: 'running' })
        .where(and(eq(runs.id, row.runId)))
    }
    return rows
  })
  if (decided.length > 0) crashPoint('approval.resumed')
  const runIds = [...new Set(decided.map((d) => d.runId))]
  const scopes: RunScope[] = []
  for (const id of runIds) {
    const [run] = await engine.tx((tx) => tx.select().from(runs).where(eq(runs.id, id)))
    if (!run) continue
    const scope = scopeOf(engine, run)
    // Approved: the run starts (again) now, and says so once it acts; a denial just ends it.
    const approved = decided.some((d) => d.runId === id && d.status === 'approved')
    if (approved && scope.plan.notify.on.includes('started')) scope.acted = announcer(scope)
    scopes.push(scope)
  }
  return scopes
}

/** A stored event fires each policy once; anything else is its own run. */
function defaultRunKey(plan: Plan): string {
  if (plan.event.id !== undefined && plan.policy !== 'manual')
    return `event:${plan.event.id}/${plan.policy}`
  return `run:${randomUUID()}`
}

function title(plan: Plan): string {
  return `${plan.event.type} ${plan.event.subject}`
}
