// One incident as a timeline: probe evidence → policy → each step with its command and outcome → notices.
import { and, asc, desc, eq, gte, lte, or, sql } from 'drizzle-orm'
import { incidentTimeline } from '../../act/index.ts'
import { events, outbox, type Store } from '../../store/index.ts'
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

type Journal = NonNullable<Awaited<ReturnType<typeof incidentTimeline>>>
type JournalStep = Journal['runs'][number]['steps'][number]
type ApprovalRow = JournalStep['approvals'][number]

export interface IncidentDetail {
  incident: Journal['incident']
  evidence: (typeof events.$inferSelect)[]
  runs: (Omit<Journal['runs'][number], 'steps'> & {
    steps: (Omit<JournalStep, 'approvals'> & { approval: ApprovalRow | null })[]
  })[]
  audit: Journal['audit']
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
 * The executor's journal of one incident (runs, steps, approvals, audit; read by core/act)
 * plus the probe evidence before it and the notices sent about it, secrets redacted, and a
 * time-ordered timeline. Notices are the outbox rows whose payload names the incident
 * (`payload.incidentId`) or whose group key is the incident key.
 *
 * @example
 * const detail = await incidentDetail(store, 'inc_01', Date.now())
 */
export async function incidentDetail(
  store: Store,
  id: string,
  now: number,
): Promise<IncidentDetail | undefined> {
  const { db } = store
  const journal = await incidentTimeline(db, id)
  if (!journal || journal.incident.id !== id) return undefined
  const { incident } = journal
  const [first] = incident.eventId
    ? await db.select().from(events).where(eq(events.id, incident.eventId)).limit(1)
    : []
  const [notices, evidence] = await Promise.all([
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
  const evidenceRows = evidence.length ? evidence.reverse() : first ? [first] : []
  const detail: IncidentDetail = {
    incident,
    evidence: evidenceRows.map((e) => redactSecrets(e)),
    runs: journal.runs.map(({ steps, ...run }) => ({
      ...redactSecrets(run),
      steps: steps.map(({ approvals, ...step }) => ({
        ...redactSecrets(step),
        approval: approvals.toSorted((a, b) => b.requestedAt - a.requestedAt)[0] ?? null,
      })),
    })),
    audit: journal.audit.map((a) => redactSecrets(a)),
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
