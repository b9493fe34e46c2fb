// One incident as a timeline: probe evidence → policy → each step with its command and outcome → notices.
import { and, asc, desc, eq, gte, inArray, lte, or, sql } from 'drizzle-orm'
import {
  approvals,
  auditLog,
  events,
  incidents,
  outbox,
  runs,
  type Store,
  steps,
} from '../../store/index.ts'
import { redactSecrets } from '../schemas.ts'

export interface Command {
  argv: string[]
  node?: string
  note?: string
}

export interface TimelineEntry {
  at: number
  kind: 'evidence' | 'policy' | 'step' | 'guard' | 'approval' | 'notice'
  title: string
  detail: string | null
  status: string | null
  commands: Command[]
}

type StepRow = typeof steps.$inferSelect
type ApprovalRow = typeof approvals.$inferSelect

export interface IncidentDetail {
  incident: typeof incidents.$inferSelect
  evidence: (typeof events.$inferSelect)[]
  runs: (typeof runs.$inferSelect & { steps: (StepRow & { approval: ApprovalRow | null })[] })[]
  audit: (typeof auditLog.$inferSelect)[]
  notices: {
    id: string
    receiver: string
    status: string
    attempts: number
    createdAt: number
    deliveredAt: number | null
    lastError: string | null
    title: string | null
  }[]
  timeline: TimelineEntry[]
}

const EVIDENCE_BEFORE_MS = 10 * 60_000

/**
 * Everything about one incident, secrets redacted, plus a time-ordered timeline. Notices are
 * the outbox rows whose payload names the incident (`payload.incidentId`) or whose group key
 * is the incident key.
 *
 * @example
 * const detail = await incidentDetail(store, 'inc_01')
 */
export async function incidentDetail(
  store: Store,
  id: string,
  now: number,
): Promise<IncidentDetail | undefined> {
  const { db } = store
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, id)).limit(1)
  if (!incident) return undefined
  const runRows = await db
    .select()
    .from(runs)
    .where(eq(runs.incidentId, id))
    .orderBy(asc(runs.startedAt))
  const runIds = runRows.map((r) => r.id)
  const [first] = incident.eventId
    ? await db.select().from(events).where(eq(events.id, incident.eventId)).limit(1)
    : []
  const [stepRows, audit, notices, evidence] = await Promise.all([
    runIds.length
      ? db.select().from(steps).where(inArray(steps.runId, runIds)).orderBy(asc(steps.index))
      : [],
    runIds.length
      ? db
          .select()
          .from(auditLog)
          .where(inArray(auditLog.runId, runIds))
          .orderBy(asc(auditLog.at))
          .limit(500)
      : [],
    db
      .select()
      .from(outbox)
      .where(
        or(
          sql`json_extract(${outbox.payload}, '$.incidentId') = ${id}`,
          eq(outbox.groupKey, incident.key),
        ),
      )
      .orderBy(asc(outbox.createdAt))
      .limit(100),
    first
      ? db
          .select()
          .from(events)
          .where(
            and(
              eq(events.subject, first.subject),
              gte(events.at, incident.openedAt - EVIDENCE_BEFORE_MS),
              lte(events.at, incident.closedAt ?? now),
            ),
          )
          .orderBy(desc(events.id))
          .limit(50)
      : [],
  ])
  const approvalRows = stepRows.length
    ? await db
        .select()
        .from(approvals)
        .where(
          inArray(
            approvals.stepId,
            stepRows.map((s) => s.id),
          ),
        )
    : []
  const approvalOf = new Map(approvalRows.map((a) => [a.stepId, a]))
  const evidenceRows = evidence.length ? evidence.reverse() : first ? [first] : []
  const detail: IncidentDetail = {
    incident,
    evidence: evidenceRows.map((e) => redactSecrets(e)),
    runs: runRows.map((run) => ({
      ...redactSecrets(run),
      steps: stepRows
        .filter((s) => s.runId === run.id)
        .map((s) => ({ ...redactSecrets(s), approval: approvalOf.get(s.id) ?? null })),
    })),
    audit: audit.map((a) => redactSecrets(a)),
    notices: notices.map((n) => ({
      id: n.id,
      receiver: n.receiver,
      status: n.status,
      attempts: n.attempts,
      createdAt: n.createdAt,
      deliveredAt: n.deliveredAt,
      lastError: n.lastError,
      title: typeof n.payload.title === 'string' ? n.payload.title : null,
    })),
    timeline: [],
  }
  detail.timeline = timelineOf(detail)
  return detail
}

/** Normalises stored commands: argv arrays or `{ argv, node, note }` objects. */
export function commandsOf(stored: unknown): Command[] {
  if (!Array.isArray(stored)) return []
  return stored.flatMap((c): Command[] => {
    if (Array.isArray(c)) return [{ argv: c.map(String) }]
    if (c && typeof c === 'object' && Array.isArray((c as Command).argv)) {
      const { argv, node, note } = c as Command
      return [{ argv: argv.map(String), ...(node ? { node } : {}), ...(note ? { note } : {}) }]
    }
    return []
  })
}

function timelineOf(d: IncidentDetail): TimelineEntry[] {
  const out: TimelineEntry[] = []
  const entry = (
    e: Omit<TimelineEntry, 'detail' | 'status' | 'commands'> & Partial<TimelineEntry>,
  ) => out.push({ detail: null, status: null, commands: [], ...e })
  for (const e of d.evidence)
    entry({
      at: e.at,
      kind: 'evidence',
      title: `${e.type} ${e.subject}`,
      detail: evidenceText(e.payload),
    })
  for (const run of d.runs) {
    entry({
      at: run.startedAt,
      kind: 'policy',
      title: `policy ${run.policy}${run.dryRun ? ' (dry run)' : ''} by ${run.actor}`,
      status: run.status,
    })
    // A step that has not started yet sorts after the steps before it, not at the run's start.
    let last = run.startedAt
    for (const s of run.steps) {
      const at = s.startedAt ?? s.finishedAt ?? s.approval?.requestedAt ?? last + 1
      last = Math.max(last, s.finishedAt ?? at)
      entry({
        at,
        kind: 'step',
        title: `${s.name} (${s.uses})`,
        status:
          s.status === 'blocked' && s.blockedBy === 'approval' ? 'awaiting-approval' : s.status,
        detail:
          s.error ?? resultSummary(s.result) ?? (s.blockedBy ? `blocked by ${s.blockedBy}` : null),
        commands: commandsOf(s.commands),
      })
      if (s.approval)
        entry({
          at: s.approval.decidedAt ?? Math.max(s.approval.requestedAt, at),
          kind: 'approval',
          title: `approval for ${s.name}`,
          status: s.approval.status,
          detail: s.approval.decidedBy
            ? `${s.approval.decidedBy}: ${s.approval.reason ?? ''}`
            : null,
        })
    }
  }
  for (const a of d.audit)
    if (a.decision === 'blocked')
      entry({
        at: a.at,
        kind: 'guard',
        title: `${a.guard ?? 'guard'} blocked ${a.action}`,
        status: 'blocked',
        detail: a.reason,
      })
  for (const n of d.notices)
    entry({
      at: n.createdAt,
      kind: 'notice',
      title: `${n.title ?? 'notice'} → ${n.receiver}`,
      status: n.status,
      detail: n.lastError,
    })
  return out.sort((a, b) => a.at - b.at)
}

function evidenceText(payload: Record<string, unknown>): string | null {
  for (const key of ['detail', 'summary', 'message', 'reason'])
    if (typeof payload[key] === 'string') return payload[key] as string
  return null
}

function resultSummary(result: Record<string, unknown> | null): string | null {
  return typeof result?.summary === 'string' ? result.summary : null
}
