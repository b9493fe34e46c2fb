// The journal: incidents → runs → steps, written durably (BEGIN IMMEDIATE) before anything runs.
import { randomUUID } from 'node:crypto'
import { asc, eq, inArray } from 'drizzle-orm'
import type { Plan } from '../policy/index.ts'
import { auditLog, type Db, runs, steps } from '../store/index.ts'
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

/**
 * Writes a run and every step's intent (pending), once per `runKey`: when a run with that key
 * exists (the same event or timer handled again after a crash), nothing is written and its id
 * is returned with `existing: true`. Each run's steps have their own idempotency keys: whether
 * something is already done is read back from the world (verify), never from other runs.
 */
export async function insertRun(
  tx: Tx,
  run: {
    incidentId: string
    plan: Plan
    actor: string
    dryRun: boolean
    now: number
    runKey: string
    /** Who asked (an API token), kept so a resumed run is checked against the same scopes. */
    requester?: { name: string; scopes: string[] }
  },
  planned: NewStep[],
): Promise<{ runId: string; existing: boolean }> {
  const [prior] = await tx
    .select({ id: runs.id })
    .from(runs)
    .where(eq(runs.runKey, run.runKey))
    .limit(1)
  if (prior) return { runId: prior.id, existing: true }
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
    runKey: run.runKey,
    startedAt: run.now,
  })
  const rows = planned.map((step, index) => ({
    id: `${runId}/${step.planId}`,
    runId,
    index,
    name: step.name,
    uses: step.uses,
    input: step.input,
    commands: step.commands,
    status: 'pending',
    error: null,
    blockedBy: null,
    idempotencyKey: `${runId}/${step.planId}`,
    target: step.target,
    destructive: step.destructive,
    fenceNode: step.fenceNode,
  }))
  if (rows.length > 0) await tx.insert(steps).values(rows)
  return { runId, existing: false }
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
  await auditInsert(tx, entry)
}

/**
 * The statement that writes one audit entry, awaited alone or in the caller's `db.batch` beside
 * the change it records (a silence, a saved config, a queued request).
 */
export function auditInsert(db: Tx, entry: AuditEntry) {
  return db.insert(auditLog).values(entry)
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
