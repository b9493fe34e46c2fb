// Incident lifecycle: open → resolved (cause cleared) → closed (stayed clear past the hold-down).
import { randomUUID } from 'node:crypto'
import { and, eq, inArray, isNotNull, isNull, lte, or } from 'drizzle-orm'
import type { TandemEvent } from '../events/index.ts'
import { RESOLVES } from '../policy/index.ts'
import { auditLog, fenceStates, incidents } from '../store/index.ts'
import type { Tx } from './journal.ts'

/** Default hold-down: how long a resolved incident waits for its cause to come back. */
export const DEFAULT_HOLD_DOWN_MS = 300_000

/** Failure event types that some recovery event resolves (`node.down`, `check.failed` ...). */
const FAILURES: ReadonlySet<string> = new Set(Object.values(RESOLVES).flat())

/**
 * Does an incident with this cause end with its run? Only a failure has a cause that can clear;
 * a manual run, a recovery (`check.recovered` restoring a weight) or a schedule has nothing to
 * wait for, so its incident closes when its run ends.
 */
export function endsWithItsRun(cause: string | null | undefined): boolean {
  return cause === 'manual' || (typeof cause === 'string' && !FAILURES.has(cause))
}

export interface IncidentOpening {
  key: string
  title: string
  eventId: number | undefined
  /** The triggering event's type and subject: a resolving event of the subject clears it. */
  cause: string
  subject: string
  now: number
  /** Always a new incident (a manual run): never joins or re-opens another. */
  fresh?: boolean
}

/**
 * The incident a run belongs to: the open one of its key, the resolved one of its key re-opened
 * (its cause came back within the hold-down), or a new one.
 */
export async function openIncident(tx: Tx, opening: IncidentOpening): Promise<string> {
  if (!opening.fresh) {
    const [current] = await tx
      .select({ id: incidents.id, status: incidents.status })
      .from(incidents)
      .where(and(eq(incidents.key, opening.key), liveIncident()))
      .limit(1)
    if (current?.status === 'open') return current.id
    if (current) {
      await reopen(tx, [current.id], opening.now, `${opening.cause} ${opening.subject} again`)
      return current.id
    }
  }
  const id = `inc-${randomUUID()}`
  await tx.insert(incidents).values({
    id,
    key: opening.key,
    title: opening.title,
    status: 'open',
    openedAt: opening.now,
    eventId: opening.eventId ?? null,
    cause: opening.cause,
    subject: opening.subject,
  })
  return id
}

/**
 * The incident of a failure a policy waits on (its `for:`): it opens on its cause, so the story
 * told while the policy waits carries the id its run will join, and a cause that clears first
 * resolves it. Undefined for a cause that cannot clear (manual, schedule, a recovery): such an
 * incident opens with its run, or it would never end.
 */
export async function openWaitingIncident(
  tx: Tx,
  opening: Omit<IncidentOpening, 'fresh'>,
): Promise<string | undefined> {
  if (endsWithItsRun(opening.cause)) return undefined
  return openIncident(tx, opening)
}

/**
 * What one event means for incidents and fence state, applied in the leader's loop before the
 * event is matched (idempotent: a replay after a crash changes nothing more). A recovery event
 * resolves the open incidents whose cause it clears; a failure re-opens a resolved incident of
 * its subject; `node.up` makes the node clean again (it rejoined).
 *
 * @example
 * await store.db.transaction((tx) => applyEvent(tx, event, Date.now()))
 */
export async function applyEvent(
  tx: Tx,
  event: TandemEvent,
  now: number,
): Promise<{ resolved: string[]; reopened: string[] }> {
  const clears = RESOLVES[event.type] ?? []
  const resolved =
    clears.length === 0
      ? []
      : await tx
          .update(incidents)
          .set({ status: 'resolved', resolvedAt: now })
          .where(
            and(
              eq(incidents.subject, event.subject),
              inArray(incidents.cause, clears),
              eq(incidents.status, 'open'),
            ),
          )
          .returning({ id: incidents.id, key: incidents.key })
  for (const row of resolved)
    await note(tx, now, 'resolved', row, `${event.type} ${event.subject}: the cause cleared`)
  if (event.type === 'node.up')
    await tx
      .update(fenceStates)
      .set({
        state: 'clean',
        reason: null,
        confirmedAt: null,
        offAcceptedAt: null,
        failures: 0,
        updatedAt: now,
      })
      .where(eq(fenceStates.node, event.subject))
  let reopened: string[] = []
  if (FAILURES.has(event.type)) {
    const rows = await tx
      .select({ id: incidents.id })
      .from(incidents)
      .where(
        and(
          eq(incidents.subject, event.subject),
          eq(incidents.cause, event.type),
          eq(incidents.status, 'resolved'),
          isNull(incidents.closedAt),
        ),
      )
    reopened = rows.map((r) => r.id)
    await reopen(tx, reopened, now, `${event.type} ${event.subject} again within the hold-down`)
  }
  return { resolved: resolved.map((r) => r.id), reopened }
}

/**
 * Closes the incidents resolved at least `holdDownMs` ago; returns them. The next failure of
 * their subject opens a new incident (which must fence again before any recovery).
 */
export async function closeQuiet(tx: Tx, now: number, holdDownMs: number) {
  const rows = await tx
    .update(incidents)
    .set({ status: 'closed', closedAt: now })
    .where(
      and(
        eq(incidents.status, 'resolved'),
        isNotNull(incidents.resolvedAt),
        lte(incidents.resolvedAt, now - holdDownMs),
      ),
    )
    .returning({ id: incidents.id, key: incidents.key })
  for (const row of rows)
    await note(tx, now, 'closed', row, `clear for ${Math.round(holdDownMs / 1000)}s (hold-down)`)
  return rows.map((r) => r.id)
}

/** Closes one incident now (a manual run's, when the run ends). */
export async function closeIncidentNow(tx: Tx, id: string, now: number, reason: string) {
  const rows = await tx
    .update(incidents)
    // Closed by its run or by hand: no "resolved" notice is owed for it.
    .set({ status: 'closed', resolvedAt: now, closedAt: now, resolvedNoticeAt: now })
    .where(and(eq(incidents.id, id), inArray(incidents.status, ['open', 'resolved'])))
    .returning({ id: incidents.id, key: incidents.key })
  for (const row of rows) await note(tx, now, 'closed', row, reason)
  return rows.length > 0
}

/** An incident whose "resolved" notice is still owed. */
export interface ResolvedIncident {
  id: string
  key: string
  title: string
  resolvedAt: number
}

/** Resolved (or since closed) incidents whose "resolved" notice has not been queued yet. */
export async function owedResolvedNotices(tx: Tx): Promise<ResolvedIncident[]> {
  const rows = await tx
    .select({
      id: incidents.id,
      key: incidents.key,
      title: incidents.title,
      resolvedAt: incidents.resolvedAt,
    })
    .from(incidents)
    .where(
      and(
        inArray(incidents.status, ['resolved', 'closed']),
        isNotNull(incidents.resolvedAt),
        isNull(incidents.resolvedNoticeAt),
        isNotNull(incidents.cause),
      ),
    )
    .limit(100)
  return rows.map((r) => ({ ...r, resolvedAt: r.resolvedAt ?? 0 }))
}

/** Records that the "resolved" notice of `id` was queued (the notifier dedups by incident). */
export async function resolvedNoticeQueued(tx: Tx, id: string, now: number) {
  await tx.update(incidents).set({ resolvedNoticeAt: now }).where(eq(incidents.id, id))
}

/** Open, or resolved and not yet closed (rows from before the lifecycle have `resolved_at` null). */
function liveIncident() {
  return or(
    eq(incidents.status, 'open'),
    and(
      eq(incidents.status, 'resolved'),
      isNotNull(incidents.resolvedAt),
      isNull(incidents.closedAt),
    ),
  )
}

async function reopen(tx: Tx, ids: string[], now: number, reason: string) {
  if (ids.length === 0) return
  const rows = await tx
    .update(incidents)
    .set({ status: 'open', resolvedAt: null, resolvedNoticeAt: null })
    .where(inArray(incidents.id, ids))
    .returning({ id: incidents.id, key: incidents.key })
  for (const row of rows) await note(tx, now, 'reopened', row, reason)
}

/** The audit entry of a lifecycle step (who: tandem; what: the incident; no run of its own). */
async function note(
  tx: Tx,
  now: number,
  decision: 'resolved' | 'reopened' | 'closed',
  incident: { id: string; key: string },
  reason: string,
) {
  await tx.insert(auditLog).values({
    at: now,
    actor: 'tandem',
    action: `incident.${decision}`,
    target: incident.key,
    decision,
    guard: null,
    reason: `${incident.id}: ${reason}`,
    argv: null,
    runId: null,
    stepId: null,
  })
}
