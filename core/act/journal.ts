// The journal: incidents → runs → steps, written durably (BEGIN IMMEDIATE) before anything runs.
import { randomUUID } from 'node:crypto'
import { and, asc, eq, gte, inArray, lt } from 'drizzle-orm'
import type { Plan } from '../policy/index.ts'
import { auditLog, type Db, incidents, runs, steps } from '../store/index.ts'
import type { RunStatus, StepStatus } from './types.ts'

export type StepRow = typeof steps.$inferSelect
export type RunRow = typeof runs.$inferSelect
/** A transaction handle or the database: journal helpers work inside either. */
export type Tx = Pick<Db, 'select' | 'insert' | 'update' | 'delete'>

/** One audit entry; `argv` must already be redacted. */
export type AuditEntry = Omit<typeof auditLog.$inferInsert, 'id'>

export interface NewStep {
  planId: string
  name: string
  uses: string
  input: Record<string, unknown>
  commands: string[][]
  target: string | null
  destructive: boolean
  fenceNode: string | null
}

/** The incident for `key`: the open one, or a new one. */
export async function openIncident(
  tx: Tx,
  key: string,
  title: string,
  eventId: number | undefined,
  now: number,
): Promise<string> {
  const open = await tx
    .select({ id: incidents.id })
    .from(incidents)
    .where(and(eq(incidents.key, key), eq(incidents.status, 'open')))
    .limit(1)
  if (open[0]) return open[0].id
  const id = `inc-${randomUUID()}`
  await tx
    .insert(incidents)
    .values({ id, key, title, status: 'open', openedAt: now, eventId: eventId ?? null })
  return id
}

/**
 * Writes a run and every step's intent (pending). A step already done in this incident
 * (same policy and step id) is written as skipped, so it never runs twice.
 */
export async function insertRun(
  tx: Tx,
  run: {
    incidentId: string
    plan: Plan
    actor: string
    dryRun: boolean
    now: number
    /** Who asked (an API token), kept so a resumed run is checked against the same scopes. */
    requester?: { name: string; scopes: string[] }
  },
  planned: NewStep[],
): Promise<string> {
  const runId = `run-${randomUUID()}`
  await tx.insert(runs).values({
    id: runId,
    incidentId: run.incidentId,
    policy: run.plan.policy,
    trigger: {
      event: run.plan.event,
      incidentKey: run.plan.incidentKey,
      ...(run.requester ? { requester: run.requester } : {}),
    },
    plan: run.plan as unknown as Record<string, unknown>,
    status: 'running',
    dryRun: run.dryRun,
    actor: run.actor,
    startedAt: run.now,
  })
  // One read of what this policy already did in the incident, one insert of every step.
  const done = run.dryRun ? [] : await earlierSteps(tx, `${run.incidentId}/${run.plan.policy}/`)
  const rows = planned.map((step, index) => {
    const baseKey = `${run.incidentId}/${run.plan.policy}/${step.planId}`
    const earlier = done.filter(
      (s) => s.idempotencyKey === baseKey || s.idempotencyKey.startsWith(`${baseKey}@`),
    )
    const before = earlier.find((s) => s.status === 'succeeded' || s.status === 'running')
    return {
      id: `${runId}/${step.planId}`,
      runId,
      index,
      name: step.name,
      uses: step.uses,
      input: step.input,
      commands: step.commands,
      status: before ? 'skipped' : 'pending',
      error: before ? `already ${before.status} in this incident (step ${before.id})` : null,
      blockedBy: before ? 'idempotency' : null,
      idempotencyKey: earlier.length === 0 && !run.dryRun ? baseKey : `${baseKey}@${runId}`,
      target: step.target,
      destructive: step.destructive,
      fenceNode: step.fenceNode,
    }
  })
  if (rows.length > 0) await tx.insert(steps).values(rows)
  return runId
}

/** Marks a step running (one more attempt) and appends its audit entry, atomically. */
export async function markRunning(
  tx: Tx,
  step: StepRow,
  audit: AuditEntry,
  now: number,
): Promise<number> {
  const attempt = step.attempt + 1
  await tx.insert(auditLog).values(audit)
  await tx
    .update(steps)
    .set({ status: 'running', attempt, startedAt: step.startedAt ?? now, error: null })
    .where(eq(steps.id, step.id))
  return attempt
}

export async function setStep(
  tx: Tx,
  id: string,
  patch: {
    status: StepStatus
    blockedBy?: string | null
    error?: string | null
    result?: Record<string, unknown> | null
    now?: number
  },
): Promise<void> {
  const terminal = ['succeeded', 'failed', 'skipped'].includes(patch.status)
  await tx
    .update(steps)
    .set({
      status: patch.status,
      ...(patch.blockedBy !== undefined ? { blockedBy: patch.blockedBy } : {}),
      ...(patch.error !== undefined ? { error: patch.error } : {}),
      ...(patch.result !== undefined ? { result: patch.result } : {}),
      ...(terminal && patch.now !== undefined ? { finishedAt: patch.now } : {}),
    })
    .where(eq(steps.id, id))
}

export async function appendProcess(
  tx: Tx,
  step: StepRow,
  proc: { pid: number; startTicks?: number },
): Promise<void> {
  const current = await tx
    .select({ processes: steps.processes })
    .from(steps)
    .where(eq(steps.id, step.id))
  const list = [...(current[0]?.processes ?? []), proc]
  await tx.update(steps).set({ processes: list }).where(eq(steps.id, step.id))
}

export async function finishRun(
  tx: Tx,
  runId: string,
  status: RunStatus,
  now: number | null,
): Promise<void> {
  await tx.update(runs).set({ status, finishedAt: now }).where(eq(runs.id, runId))
}

export async function appendAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values(entry)
}

export async function loadRun(
  tx: Tx,
  runId: string,
): Promise<{ run: RunRow; steps: StepRow[] } | undefined> {
  const [run] = await tx.select().from(runs).where(eq(runs.id, runId))
  if (!run) return undefined
  const rows = await tx.select().from(steps).where(eq(steps.runId, runId)).orderBy(asc(steps.index))
  return { run, steps: rows }
}

export async function stepsWithStatus(tx: Tx, statuses: StepStatus[]): Promise<StepRow[]> {
  return tx.select().from(steps).where(inArray(steps.status, statuses))
}

/** Steps whose idempotency key starts with `prefix` (`incident/policy/`), by index range. */
async function earlierSteps(tx: Tx, prefix: string): Promise<StepRow[]> {
  // The keys just past the prefix: its last character ('/') incremented ('0').
  const past = `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`
  return tx
    .select()
    .from(steps)
    .where(and(gte(steps.idempotencyKey, prefix), lt(steps.idempotencyKey, past)))
}

/** Closes the open incident of `key` (the daemon calls it when the problem clears). */
export async function closeIncident(tx: Tx, key: string, now: number): Promise<boolean> {
  const closed = await tx
    .update(incidents)
    .set({ status: 'resolved', closedAt: now })
    .where(and(eq(incidents.key, key), eq(incidents.status, 'open')))
    .returning({ id: incidents.id })
  return closed.length > 0
}
