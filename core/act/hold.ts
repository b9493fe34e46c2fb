// Holds: a step refused for a reason that clears by itself waits for it, instead of losing its run.
import { and, desc, eq, gt, inArray } from 'drizzle-orm'
import { RESOLVES } from '../policy/index.ts'
import { events, incidents, runs, steps } from '../store/index.ts'
import { type Engine, type RunScope, scopeOf } from './engine.ts'
import { busyTarget, monitorBlind } from './facts.ts'
import { appendAudit, type Tx } from './journal.ts'
import type { Refusal } from './types.ts'

/**
 * Guards whose refusal is transient and self-clearing: tandem's own probes look blind, the
 * cluster's quorum is lost or not known yet, or another run's step is acting on the same target
 * (a restore arriving while the drain still waits for connections to end). Refusing for good
 * would consume the event (a `for:` timer fires once, an event matches once) and lose the
 * failover, or leave a healthy server at weight 0, which Pacemaker and Alertmanager users never
 * see happen: the cluster acts once quorum is back, an alert that still fires is still routed.
 * Such a step is held (`blocked`, its run waiting) and re-tried when the condition clears while
 * its incident is still open and its cause has not been undone.
 */
export const HELD_GUARDS: readonly string[] = ['monitor_blind', 'quorum', 'busy_target']

/**
 * Whether this refusal holds the step rather than ending its run. A manual run (`tandem exec`,
 * an API action) is never held: the person who asked gets the refusal now and decides.
 */
export function holds(scope: RunScope, refusal: Refusal): boolean {
  return HELD_GUARDS.includes(refusal.guard) && scope.plan.policy !== 'manual' && !scope.dryRun
}

/**
 * The held runs whose reason has cleared (their steps back to `pending`, the run `running`) and
 * those whose incident is no longer open (their held steps `skipped`: the failure cleared
 * first, so there is nothing left to do). Returns the scopes to resume: the first kind runs on
 * from its held step, the second only finishes. Each transition happens once, in one
 * transaction with the check, so two passes never resume one run twice.
 */
export async function releaseHeld(engine: Engine): Promise<RunScope[]> {
  const held = await engine.tx((tx) => heldSteps(tx))
  if (held.length === 0) return []
  const cluster = held.some((row) => row.guard === 'quorum')
    ? await engine.clusterView.snapshot().catch(() => undefined)
    : undefined
  const now = engine.clock.now()
  const released = await engine.tx(async (tx) => {
    const blind = held.some((row) => row.guard === 'monitor_blind')
      ? (await monitorBlind(tx, engine.blindThreshold)).blind
      : false
    const runIds = new Set<string>()
    // Read again inside the transaction: what an earlier pass released is no longer held.
    for (const row of await heldSteps(tx)) {
      const undone = await undoneBy(tx, row)
      const open = row.incidentStatus === 'open' && !undone
      const clear =
        row.guard === 'monitor_blind'
          ? !blind
          : row.guard === 'busy_target'
            ? !row.target || !(await busyTarget(tx, row.target, row.stepId))
            : cluster?.quorate === true
      if (open && !clear) continue
      const decision = open ? 'released' : 'skipped'
      const reason = open
        ? `${row.guard} cleared: running the held step now`
        : undone
          ? `not run: ${undone} came after ${row.cause} while the step was held by ${row.guard}`
          : `not run: incident ${row.incidentId} is ${row.incidentStatus ?? 'gone'} (its cause cleared while the step was held by ${row.guard})`
      await tx
        .update(steps)
        .set(
          open
            ? { status: 'pending', blockedBy: null, error: null }
            : { status: 'skipped', error: `${row.error ?? row.guard}; ${reason}`, finishedAt: now },
        )
        .where(and(eq(steps.id, row.stepId), eq(steps.status, 'blocked')))
      await tx.update(runs).set({ status: 'running' }).where(eq(runs.id, row.runId))
      await appendAudit(tx, {
        at: now,
        actor: engine.actor,
        action: row.uses,
        target: row.target,
        decision,
        guard: row.guard,
        reason,
        argv: row.commands,
        runId: row.runId,
        stepId: row.stepId,
      })
      runIds.add(row.runId)
    }
    if (runIds.size === 0) return []
    return tx
      .select()
      .from(runs)
      .where(inArray(runs.id, [...runIds]))
  })
  for (const run of released)
    engine.log.info(`[act] held run ${run.id} of ${run.policy} resumes`, { runId: run.id })
  return released.map((run) => scopeOf(engine, run))
}

/**
 * The event that undid a recovery's cause while its run was held (`check.failed` after the
 * `check.recovered` a restore answers): restoring a weight then would feed a failed server.
 * A failure's own incident needs no such look: its recovery resolves the incident.
 */
async function undoneBy(
  tx: Tx,
  row: { cause: string | null; subject: string | null; eventId: number | null },
): Promise<string | undefined> {
  const failures = RESOLVES[row.cause as keyof typeof RESOLVES]
  if (!failures || row.subject === null || row.eventId === null) return undefined
  const [later] = await tx
    .select({ id: events.id, type: events.type })
    .from(events)
    .where(
      and(
        eq(events.subject, row.subject),
        inArray(events.type, failures),
        gt(events.id, row.eventId),
      ),
    )
    .orderBy(desc(events.id))
    .limit(1)
  return later ? `${later.type} ${row.subject} (event ${later.id})` : undefined
}

/** Steps held by a transient guard, with their run's incident status and cause. */
async function heldSteps(tx: Tx) {
  const rows = await tx
    .select({
      stepId: steps.id,
      runId: steps.runId,
      uses: steps.uses,
      target: steps.target,
      commands: steps.commands,
      guard: steps.blockedBy,
      error: steps.error,
      incidentId: runs.incidentId,
      incidentStatus: incidents.status,
      cause: incidents.cause,
      subject: incidents.subject,
      eventId: incidents.eventId,
    })
    .from(steps)
    .innerJoin(runs, eq(runs.id, steps.runId))
    .leftJoin(incidents, eq(incidents.id, runs.incidentId))
    .where(and(eq(steps.status, 'blocked'), inArray(steps.blockedBy, [...HELD_GUARDS])))
  return rows.map((row) => ({ ...row, guard: row.guard as string }))
}
