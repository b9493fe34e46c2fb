// Reading the journal back: recent incidents, one incident's runs, steps, approvals and audit.
import { and, asc, count, desc, eq, inArray, like, or } from 'drizzle-orm'
import {
  approvals,
  auditLog,
  type Db,
  fenceStates,
  incidents,
  runs,
  steps,
} from '../store/index.ts'
import { closeIncidentNow } from './lifecycle.ts'

export interface IncidentSummary {
  id: string
  key: string
  title: string
  status: string
  openedAt: number
  closedAt: number | null
  runs: number
}

/**
 * The newest incidents first, each with its number of runs.
 *
 * @example
 * for (const i of await recentIncidents(store.db, 20)) console.log(i.key, i.runs)
 */
export async function recentIncidents(db: Db, limit = 20): Promise<IncidentSummary[]> {
  const rows = await db
    .select({
      id: incidents.id,
      key: incidents.key,
      title: incidents.title,
      status: incidents.status,
      openedAt: incidents.openedAt,
      closedAt: incidents.closedAt,
      runs: count(runs.id),
    })
    .from(incidents)
    .leftJoin(runs, eq(runs.incidentId, incidents.id))
    .groupBy(incidents.id)
    .orderBy(desc(incidents.openedAt))
    .limit(limit)
  return rows
}

/**
 * Everything about one incident (by id, or the newest with that key): runs with their steps
 * and approvals, and the audit entries of those runs, oldest first.
 */
export async function incidentTimeline(db: Db, idOrKey: string) {
  const [incident] = await db
    .select()
    .from(incidents)
    .where(or(eq(incidents.id, idOrKey), eq(incidents.key, idOrKey)))
    .orderBy(desc(incidents.openedAt))
    .limit(1)
  if (!incident) return undefined
  const runRows = await db
    .select()
    .from(runs)
    .where(eq(runs.incidentId, incident.id))
    .orderBy(asc(runs.startedAt))
  const runIds = runRows.map((r) => r.id)
  const stepRows = runIds.length
    ? await db.select().from(steps).where(inArray(steps.runId, runIds)).orderBy(asc(steps.index))
    : []
  const stepIds = stepRows.map((s) => s.id)
  const approvalRows = stepIds.length
    ? await db.select().from(approvals).where(inArray(approvals.stepId, stepIds))
    : []
  // The runs' entries and the incident's own lifecycle (resolved, re-opened, closed).
  const audit = await db
    .select()
    .from(auditLog)
    .where(
      or(
        runIds.length ? inArray(auditLog.runId, runIds) : undefined,
        and(like(auditLog.action, 'incident.%'), like(auditLog.reason, `${incident.id}:%`)),
      ),
    )
    .orderBy(asc(auditLog.id))
  // Nodes this incident fenced or tried to, with why they are unclean if they are.
  const fences = await db.select().from(fenceStates).where(eq(fenceStates.incidentId, incident.id))
  return {
    incident,
    fences,
    runs: runRows.map(({ plan: _plan, ...run }) => ({
      ...run,
      steps: stepRows
        .filter((s) => s.runId === run.id)
        .map(({ processes: _p, ...step }) => ({
          ...step,
          approvals: approvalRows.filter((a) => a.stepId === step.id),
        })),
    })),
    audit,
  }
}

/**
 * Resolves and closes the live incident of `key` at once, skipping the hold-down (the daemon
 * resolves on the recovery event and closes after the hold-down by itself); the next failure
 * opens a new incident, which must fence again before recovering.
 *
 * @example
 * await resolveIncident(store.db, 'node.down:node2', Date.now())
 */
export function resolveIncident(db: Db, key: string, now: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const live = await tx
      .select({ id: incidents.id })
      .from(incidents)
      .where(and(eq(incidents.key, key), inArray(incidents.status, ['open', 'resolved'])))
    let closed = false
    for (const row of live)
      closed = (await closeIncidentNow(tx, row.id, now, 'resolved by hand')) || closed
    return closed
  })
}
