// Approvals: a destructive step waits in `blocked: approval` until a human decides or the TTL ends.
import { randomBytes } from 'node:crypto'
import { and, desc, eq, lte } from 'drizzle-orm'
import { crashPoint } from '../crash-points.ts'
import { TandemError } from '../errors.ts'
import { approvals, auditLog, type Db, steps } from '../store/index.ts'
import type { Tx } from './journal.ts'

export const DEFAULT_APPROVAL_TTL_MS = 30 * 60_000

export type ApprovalRow = typeof approvals.$inferSelect

/** The latest approval of a step: none, pending, approved, denied or expired. */
export async function approvalState(
  tx: Tx,
  stepId: string,
): Promise<{ state: 'none' | 'pending' | 'approved' | 'denied' | 'expired'; id?: string }> {
  const [row] = await tx
    .select()
    .from(approvals)
    .where(eq(approvals.stepId, stepId))
    .orderBy(desc(approvals.requestedAt))
    .limit(1)
  if (!row) return { state: 'none' }
  return { state: row.status as 'pending', id: row.id }
}

export async function requestApproval(
  tx: Tx,
  stepId: string,
  now: number,
  ttlMs: number,
): Promise<string> {
  const id = `apr-${randomBytes(4).toString('hex')}`
  await tx
    .insert(approvals)
    .values({ id, stepId, status: 'pending', requestedAt: now, expiresAt: now + ttlMs })
  return id
}

/**
 * Approves or denies a pending approval (the CLI and the API both call this). Single use: a
 * decided or expired approval cannot be decided again.
 *
 * @example
 * await decideApproval(store.db, 'apr-1a2b3c4d', { approve: true, by: 'alice', reason: 'checked', now: Date.now() })
 */
export async function decideApproval(
  db: Db,
  id: string,
  decision: { approve: boolean; by: string; reason: string; now: number },
): Promise<ApprovalRow> {
  const decided = await db.transaction(async (tx) => {
    const [row] = await tx.select().from(approvals).where(eq(approvals.id, id))
    if (!row) throw new TandemError('NOT_FOUND', `[approve] no approval "${id}"`)
    if (row.status !== 'pending')
      throw new TandemError('BAD_REQUEST', `[approve] approval ${id} is already ${row.status}`)
    if (row.expiresAt <= decision.now)
      throw new TandemError('BAD_REQUEST', `[approve] approval ${id} expired`)
    const status = decision.approve ? 'approved' : 'denied'
    await tx
      .update(approvals)
      .set({ status, decidedBy: decision.by, reason: decision.reason, decidedAt: decision.now })
      .where(eq(approvals.id, id))
    const [step] = await tx.select().from(steps).where(eq(steps.id, row.stepId))
    await tx.insert(auditLog).values({
      at: decision.now,
      actor: decision.by,
      action: step?.uses ?? 'unknown',
      target: step?.target ?? null,
      decision: status,
      guard: 'approval',
      reason: decision.reason,
      argv: step?.commands ?? null,
      runId: step?.runId ?? null,
      stepId: row.stepId,
    })
    return { ...row, status, decidedBy: decision.by, reason: decision.reason }
  })
  crashPoint('approval.decided')
  return decided
}

/** What a run's notices say about its approvals: who must decide what, by when, and what they said. */
export interface RunApproval {
  id: string
  /** The step's name in the policy ("fence the dead node"). */
  step: string
  uses: string
  target: string | null
  status: 'pending' | 'approved' | 'denied' | 'expired'
  expiresAt: number
  decidedBy: string | null
  reason: string | null
}

/** Every approval the steps of `runId` asked for, oldest first. */
export async function runApprovals(tx: Tx, runId: string): Promise<RunApproval[]> {
  const rows = await tx
    .select({
      id: approvals.id,
      step: steps.name,
      uses: steps.uses,
      target: steps.target,
      status: approvals.status,
      expiresAt: approvals.expiresAt,
      decidedBy: approvals.decidedBy,
      reason: approvals.reason,
    })
    .from(approvals)
    .innerJoin(steps, eq(steps.id, approvals.stepId))
    .where(eq(steps.runId, runId))
    .orderBy(approvals.requestedAt)
  return rows.map((row) => ({ ...row, status: row.status as RunApproval['status'] }))
}

/** Pending approvals past their TTL become expired; returns them. */
export async function expireApprovals(tx: Tx, now: number): Promise<ApprovalRow[]> {
  const due = await tx
    .select()
    .from(approvals)
    .where(and(eq(approvals.status, 'pending'), lte(approvals.expiresAt, now)))
  for (const row of due)
    await tx
      .update(approvals)
      .set({ status: 'expired', decidedAt: now })
      .where(eq(approvals.id, row.id))
  return due
}

/** Steps blocked on approval whose approval has been decided (approved or denied or expired). */
export async function decidedBlockedSteps(tx: Tx) {
  const rows = await tx
    .select({
      stepId: steps.id,
      runId: steps.runId,
      uses: steps.uses,
      target: steps.target,
      commands: steps.commands,
      status: approvals.status,
    })
    .from(steps)
    .innerJoin(approvals, eq(approvals.stepId, steps.id))
    .where(and(eq(steps.status, 'blocked'), eq(steps.blockedBy, 'approval')))
  return rows.filter((r) => r.status !== 'pending')
}
