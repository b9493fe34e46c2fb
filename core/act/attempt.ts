// Running a step: attempts with timeout and backoff, verify, and the outcome written to the journal.
import { and, eq } from 'drizzle-orm'
import { crashPoint } from '../crash-points.ts'
import { type ActionResult, PluginError, type VerifyResult } from '../plugin/index.ts'
import type { PlanStep } from '../policy/index.ts'
import { drainedServers } from '../store/index.ts'
import { type StepObserver, stepContext } from './context.ts'
import { backoff, errorText, isStaleLeader, type ResolvedAction, type RunScope } from './engine.ts'
import { silenceAfterFence } from './fence-silence.ts'
import { fenceFailed, fenceSucceeded, stillAnswers } from './fence-state.ts'
import {
  appendAudit,
  appendProcess,
  markRunning,
  type StepRow,
  setStep,
  type Tx,
} from './journal.ts'
import { redactDeep } from './redact.ts'
import { audit, type StepOutcome } from './step-record.ts'

export type RunnableAction = ResolvedAction & {
  input: unknown
  config: unknown
  fenceNode: string | null
}

/** After a timeout, how long the aborted action may take to stop its commands. */
const SETTLE_AFTER_ABORT_MS = 5_000
/** Status re-reads of an accepted but unconfirmed change (a fence device that went deaf). */
export const CONFIRM_REREADS = 4
/** The longest wait between two such re-reads (the step's back-off doubles up to it). */
const REREAD_MAX_WAIT_MS = 30_000
/** `confirmAccepted`: the read-back answered, and not with the change: it did not take. */
const NOT_TAKEN = 'not-taken'

type Attempt =
  | { ok: true; result: ActionResult; commands: StepObserver['commands'] }
  | {
      ok: false
      error: string
      timedOut: boolean
      /** The tool accepted the change; only its read-back failed (`PluginError.accepted`). */
      accepted: boolean
      commands: StepObserver['commands']
    }

/**
 * Runs a step already marked running (attempt 1 journaled) until it succeeds or its retries are
 * spent. A non-idempotent action is retried only after `verify` says it did not take effect.
 * A change the tool accepted (a fence whose power-off went through) is never sent again: only
 * read back. `acceptedAt`: an earlier step of this episode already had its power-off accepted,
 * so this one only reads status.
 */
export async function runAttempts(
  scope: RunScope,
  step: PlanStep,
  row: StepRow,
  action: RunnableAction,
  acceptedAt?: number,
): Promise<StepOutcome> {
  const { engine } = scope
  if (acceptedAt !== undefined) {
    const confirmed = await confirmAccepted(scope, step, row, action, {
      error: `the power-off was accepted at ${new Date(acceptedAt).toISOString()} in this episode and never confirmed`,
      commands: [],
      acceptedAt,
    })
    // Status now answers "not off": that power-off did not take, so fencing anew is allowed.
    if (confirmed !== NOT_TAKEN) return confirmed
  }
  let current = row
  for (let n = 1; ; n++) {
    let outcome = await attempt(scope, step, current, action)
    crashPoint('step.acted')
    if (outcome.ok) {
      const check = await verifyAfter(scope, step, action)
      if (check && !check.ok)
        outcome = {
          ...outcome,
          ok: false,
          error: `verify: ${check.detail}`,
          timedOut: false,
          // The fence agent said off and only the read-back failed to answer: its power-off
          // went through. A read-back that answers "on" is a failed fence (retried as before).
          accepted: action.fenceNode !== null && 'unread' in check && check.unread === true,
        }
      else return succeed(scope, step, current, action, outcome.result, outcome.commands, check)
    }
    if (outcome.accepted) {
      const confirmed = await confirmAccepted(scope, step, current, action, {
        error: outcome.error,
        commands: outcome.commands,
        acceptedAt: engine.clock.now(),
      })
      if (confirmed !== NOT_TAKEN) return confirmed
    }
    const spent = n > step.retry.count
    if (!spent && !action.action.idempotent) {
      // Did the failed attempt change the world anyway? Never re-fire blindly.
      const check = await verify(scope, step, action)
      if (check?.ok)
        return succeed(
          scope,
          step,
          current,
          action,
          { summary: `took effect: ${check.detail}` },
          outcome.commands,
          check,
        )
      if (!check && outcome.timedOut)
        return failStep(
          scope,
          current,
          action,
          `${outcome.error}; outcome unknown and no verify: not retried`,
        )
    }
    if (spent) return failStep(scope, current, action, outcome.error)
    engine.log.warn(`[act] ${step.uses} attempt ${n} failed, retrying: ${outcome.error}`, {
      runId: scope.runId,
    })
    await engine.clock.sleep(backoff(step, n))
    const now = engine.clock.now()
    const attemptNo = await engine.tx((tx) =>
      markRunning(tx, current, audit(scope, current, 'retry', { reason: outcome.error }), now),
    )
    current = { ...current, attempt: attemptNo }
  }
}

/**
 * The tool accepted the change but its read-back failed: read back again, a bounded number of
 * times with the step's back-off, and never run the action again. Pacemaker's fencer does the
 * same by construction: fencing.py reads status before it switches, so a retry against a node
 * already off answers "Already OFF" instead of cycling it. Unconfirmed, the step fails and the
 * node stays unclean with the reason, and its episode's later fence steps only re-read.
 */
async function confirmAccepted(
  scope: RunScope,
  step: PlanStep,
  row: StepRow,
  action: RunnableAction,
  accepted: { error: string; commands: StepObserver['commands']; acceptedAt: number },
): Promise<StepOutcome | typeof NOT_TAKEN> {
  const { engine } = scope
  if (!action.action.verify)
    return failStep(scope, row, action, `${accepted.error}; accepted, and it cannot be read back`)
  let detail = 'not read back'
  for (let n = 1; n <= CONFIRM_REREADS; n++) {
    await engine.clock.sleep(Math.min(backoff(step, n), REREAD_MAX_WAIT_MS))
    const check = await verify(scope, step, action)
    if (check?.ok)
      return succeed(
        scope,
        step,
        row,
        action,
        { summary: `confirmed by re-reading (${n}) after: ${accepted.error}` },
        accepted.commands,
        check,
      )
    detail = check?.detail ?? detail
    // Read, and not the change (status ON): the accepted change did not take; a failed fence
    // may be retried. Only an unreadable status keeps re-reading.
    if (check && !check.unread) {
      engine.log.warn(`[act] ${step.uses}: accepted, but the read-back says otherwise: ${detail}`, {
        runId: scope.runId,
      })
      return NOT_TAKEN
    }
    engine.log.warn(
      `[act] ${step.uses}: accepted but not confirmed, re-read ${n}/${CONFIRM_REREADS}: ${detail}`,
      { runId: scope.runId },
    )
  }
  const what = action.fenceNode
    ? `the power-off of ${action.fenceNode} was accepted, not confirmed; it is not sent again in this episode`
    : 'the change was accepted, not confirmed; not run again'
  return failStep(
    scope,
    row,
    action,
    `${accepted.error}; ${what} (${CONFIRM_REREADS} status re-reads, last: ${detail})`,
    accepted.acceptedAt,
  )
}

/** Verify is always read back for fences (a fence counts only when confirmed off). */
async function verifyAfter(scope: RunScope, step: PlanStep, action: RunnableAction) {
  if (!action.fenceNode && !step.verify) return undefined
  if (action.fenceNode && !action.action.verify)
    return { ok: false, detail: 'the fence action cannot verify: node not confirmed off' }
  return verify(scope, step, action)
}

async function verify(
  scope: RunScope,
  step: PlanStep,
  action: RunnableAction,
): Promise<(VerifyResult & { unread?: boolean }) | undefined> {
  if (!action.action.verify) return undefined
  const controller = new AbortController()
  const ctx = stepContext(scope.engine.context, action.config, {
    signal: controller.signal,
    timeoutMs: step.timeoutMs,
    dryRun: false,
  })
  try {
    return await withTimeout(action.action.verify(action.input, ctx), step.timeoutMs, controller)
  } catch (error) {
    if (isStaleLeader(error)) throw error
    return { ok: false, unread: true, detail: `verify failed: ${errorText(error)}` }
  }
}

async function attempt(
  scope: RunScope,
  step: PlanStep,
  row: StepRow,
  action: RunnableAction,
): Promise<Attempt> {
  const { engine } = scope
  const controller = new AbortController()
  const spawned: Promise<void>[] = []
  const observer: StepObserver = {
    commands: [],
    onSpawn: (proc) => {
      const journaled = engine.tx((tx) => appendProcess(tx, row, proc))
      // Only waited for (settled) below, maybe long after it fails: a lease that lapses while
      // the command runs refuses this write, and that refusal must not kill the process.
      journaled.catch(() => {})
      spawned.push(journaled)
      // After the pid is journaled: the run's `started` notice follows its first command.
      void scope.acted?.()
    },
  }
  const ctx = stepContext(engine.context, action.config, {
    signal: controller.signal,
    timeoutMs: step.timeoutMs,
    dryRun: false,
    observer,
  })
  const work = action.action.run(action.input, ctx)
  try {
    const result = await withTimeout(work, step.timeoutMs, controller)
    await Promise.allSettled(spawned)
    return { ok: true, result, commands: observer.commands }
  } catch (error) {
    // Refused by the fencing token: another instance leads now; nothing more is tried here.
    if (isStaleLeader(error)) throw error
    const timedOut = controller.signal.aborted
    // Let the killed commands finish dying before anyone verifies or retries.
    if (timedOut) await settleWithin(work, SETTLE_AFTER_ABORT_MS)
    await Promise.allSettled(spawned)
    return {
      ok: false,
      error: timedOut ? `timed out after ${step.timeoutMs} ms` : errorText(error),
      timedOut,
      accepted: wasAccepted(error),
      commands: observer.commands,
    }
  }
}

async function succeed(
  scope: RunScope,
  step: PlanStep,
  row: StepRow,
  action: RunnableAction,
  result: ActionResult,
  commands: StepObserver['commands'],
  check: VerifyResult | undefined,
): Promise<StepOutcome> {
  const { engine } = scope
  const now = engine.clock.now()
  const known = engine.secrets.known()
  const detail = redactDeep(result.summary, known)
  // A fence counts only when the node stopped answering too: the agent's "off" may be a lie.
  const cluster = action.fenceNode
    ? await silenceAfterFence(scope, action.fenceNode, step.timeoutMs)
    : null
  const contradicted = await engine.tx(async (tx) => {
    if (action.fenceNode) {
      const answering = cluster
        ? await stillAnswers(tx, action.fenceNode, cluster)
        : 'cannot be checked (no cluster view)'
      if (answering) return `the fence agent says off but ${action.fenceNode} ${answering}`
    }
    await setStep(tx, row.id, {
      status: 'succeeded',
      error: null,
      result: redactDeep({ ...result, ran: commands, verify: check ?? null }, known),
      now,
    })
    if (action.fenceNode)
      await fenceSucceeded(tx, action.fenceNode, scope.incidentId, row.uses, now)
    for (const change of action.action.drains?.(action.input) ?? [])
      await recordDrain(tx, scope, change, now)
    await appendAudit(tx, audit(scope, row, 'succeeded', { reason: detail }))
    return undefined
  })
  if (contradicted) return failStep(scope, row, action, contradicted)
  crashPoint('step.outcome')
  return { status: 'succeeded', detail }
}

async function failStep(
  scope: RunScope,
  row: StepRow,
  action: RunnableAction,
  reason: string,
  offAcceptedAt?: number,
): Promise<StepOutcome> {
  const { engine } = scope
  const now = engine.clock.now()
  const error = redactDeep(reason, engine.secrets.known())
  await engine.tx(async (tx) => {
    await setStep(tx, row.id, { status: 'failed', error, now })
    if (action.fenceNode)
      await fenceFailed(tx, action.fenceNode, scope.incidentId, now, error, offAcceptedAt)
    await appendAudit(tx, audit(scope, row, 'failed', { reason: error }))
  })
  crashPoint('step.outcome')
  return { status: 'failed', detail: error, escalate: action.fenceNode !== null }
}

async function recordDrain(
  tx: Tx,
  scope: RunScope,
  change: { service: string; node: string; drained: boolean },
  now: number,
) {
  const where = and(
    eq(drainedServers.service, change.service),
    eq(drainedServers.node, change.node),
  )
  if (!change.drained) return void (await tx.delete(drainedServers).where(where))
  await tx
    .insert(drainedServers)
    .values({
      service: change.service,
      node: change.node,
      incidentId: scope.incidentId,
      since: now,
    })
    .onConflictDoNothing()
}

/** True when the action's error (or one under it) says the tool accepted the change. */
function wasAccepted(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause)
    if (e instanceof PluginError) return e.accepted
  return false
}

function settleWithin(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  return Promise.race([work.catch(() => {}), limit]).finally(() => clearTimeout(timer))
}

/** The action's promise, or a rejection when its timeout passes (which also aborts its commands). */
function withTimeout<T>(work: Promise<T>, ms: number, controller: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${ms} ms`))
      reject(new Error(`timed out after ${ms} ms`))
    }, ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
