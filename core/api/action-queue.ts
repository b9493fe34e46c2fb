// Queues a manual action or policy run for the executor: the event, the queued run, the audit
// entry and the idempotency record, written together (POST /api/v1/actions and the editor's apply).
import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { auditInsert, insertQueuedRun } from '../act/index.ts'
import { insertEvent } from '../events/index.ts'
import { idempotencyKeys } from '../store/index.ts'
import type { Caller } from './auth.ts'
import type { ApiContext } from './deps.ts'

/** What a queued request answers. */
export interface ActionAccepted {
  runId: string
  eventId: number
  status: 'queued'
  dryRun: boolean
  idempotencyKey: string
}

/** A request to queue: one plugin action (`uses`) or one manual policy. */
export interface ActionRequestBody {
  uses?: string
  policy?: string
  with: Record<string, unknown>
  dryRun: boolean
  reason: string
}

/**
 * Writes the manual event, the queued run, the audit entry and the idempotency record in one
 * atomic batch. A key seen before makes the batch fail on a unique index and nothing is
 * written: the caller then answers with the stored response.
 */
export async function queueAction(
  api: ApiContext,
  caller: Caller | undefined,
  body: ActionRequestBody,
  key: string,
  requestHash: string,
): Promise<ActionAccepted | undefined> {
  const { db } = api.store
  const now = api.now()
  const runId = `run_${randomUUID()}`
  const actor = `api:${caller?.name ?? 'unknown'}`
  const subject = subjectOf(body.with) ?? body.uses ?? body.policy ?? 'manual'
  // Keys are per token: another caller's key never returns this caller's answer.
  const eventKey = `manual:${caller?.tokenId ?? '-'}:${key}`
  const eventId = sql`(SELECT id FROM events WHERE dedup_key = ${eventKey})`
  const accepted = {
    runId,
    eventId: 0,
    status: 'queued' as const,
    dryRun: body.dryRun,
    idempotencyKey: key,
  }
  const trigger = {
    kind: 'manual',
    uses: body.uses,
    policy: body.policy,
    with: body.with,
    reason: body.reason,
    requestedBy: actor,
    idempotencyKey: key,
  }
  try {
    const [inserted] = await db.batch([
      insertEvent(db, {
        type: 'manual',
        subject,
        at: now,
        // A policy request names its policy: that is how the matcher finds it.
        labels: {
          severity: 'info',
          actor,
          ...labelsOf(body.with),
          ...(body.policy ? { policy: body.policy } : {}),
        },
        payload: {
          uses: body.uses,
          policy: body.policy,
          with: body.with,
          dryRun: body.dryRun,
          reason: body.reason,
          runId,
          // The executor checks every step of the run against these scopes.
          requester: { name: actor, scopes: [...(caller?.scopes ?? [])] },
        },
        dedupKey: eventKey,
      }),
      insertQueuedRun(db, {
        id: runId,
        policy: body.policy ?? 'manual',
        trigger: sql`json_set(${JSON.stringify(trigger)}, '$.eventId', ${eventId})`,
        dryRun: body.dryRun,
        actor,
        startedAt: now,
      }),
      auditInsert(db, {
        at: now,
        actor,
        action: body.uses ?? `policy ${body.policy}`,
        target: subject,
        decision: 'allowed',
        reason: body.reason,
        runId,
      }),
      db.insert(idempotencyKeys).values({
        key: storedKey(caller, key),
        scope: 'POST /api/v1/actions',
        response: sql`json_set(${JSON.stringify({ requestHash, body: accepted })}, '$.body.eventId', ${eventId})`,
        createdAt: now,
      }),
    ])
    return { ...accepted, eventId: inserted[0]?.id ?? 0 }
  } catch (error) {
    if (isUniqueViolation(error)) return undefined
    throw error
  }
}

function isUniqueViolation(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as Error).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) return true
  }
  return false
}

export function storedKey(caller: Caller | undefined, key: string): string {
  return `actions:${caller?.tokenId ?? '-'}:${key}`
}

function subjectOf(input: Record<string, unknown>): string | undefined {
  for (const key of ['node', 'service', 'vm', 'host', 'resource'])
    if (typeof input[key] === 'string') return input[key] as string
  return undefined
}

function labelsOf(input: Record<string, unknown>): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const key of ['node', 'service', 'vm'])
    if (typeof input[key] === 'string') labels[key] = input[key] as string
  return labels
}
