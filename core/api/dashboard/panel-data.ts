// Everything the dashboard's panels show, read in one go from the store and the inventory.
import { and, desc, eq, gt, inArray, ne } from 'drizzle-orm'
import { EVENT_TYPES } from '../../events/index.ts'
import {
  approvals,
  events,
  incidents,
  policyStates,
  runs,
  silences,
  steps,
} from '../../store/index.ts'
import type { ApiContext } from '../deps.ts'
import { policyState } from '../endpoints/policies.ts'
import { redactSecrets } from '../schemas.ts'
import type { ClusterStatus } from '../views/cluster-status.ts'
import { type Command, commandsOf } from '../views/incident-detail.ts'
import { currentStatus } from '../views/status-source.ts'

export interface PendingApprovalView {
  id: string
  expiresAt: number
  requestedAt: number
  stepName: string
  uses: string
  target: string | null
  input: Record<string, unknown>
  commands: Command[]
  policy: string
  incidentId: string | null
}

export interface PanelData {
  status: ClusterStatus
  approvals: PendingApprovalView[]
  incidents: (typeof incidents.$inferSelect)[]
  silences: (typeof silences.$inferSelect)[]
  policies: { file: string; name: string | null; state: string; lastError: string | null }[]
  events: (typeof events.$inferSelect)[]
  now: number
}

export async function panelData(api: ApiContext): Promise<PanelData> {
  const now = api.now()
  const { db } = api.store
  const [status, pending, open, recent, silenceRows, policyRows, recentEvents] = await Promise.all([
    currentStatus(api).then((view) => view.status),
    db
      .select({ approval: approvals, step: steps, run: runs })
      .from(approvals)
      .innerJoin(steps, eq(steps.id, approvals.stepId))
      .innerJoin(runs, eq(runs.id, steps.runId))
      .where(and(eq(approvals.status, 'pending'), gt(approvals.expiresAt, now)))
      .orderBy(desc(approvals.requestedAt))
      .limit(50),
    db
      .select()
      .from(incidents)
      .where(eq(incidents.status, 'open'))
      .orderBy(desc(incidents.openedAt))
      .limit(50),
    db
      .select()
      .from(incidents)
      .where(ne(incidents.status, 'open'))
      .orderBy(desc(incidents.openedAt))
      .limit(8),
    db.select().from(silences).where(gt(silences.endsAt, now)).orderBy(silences.endsAt).limit(100),
    db.select().from(policyStates).orderBy(policyStates.file),
    db
      .select()
      .from(events)
      .where(inArray(events.type, [...SHOWN_EVENTS]))
      .orderBy(desc(events.id))
      .limit(15),
  ])
  return {
    status,
    approvals: pending.map(({ approval, step, run }) => ({
      id: approval.id,
      expiresAt: approval.expiresAt,
      requestedAt: approval.requestedAt,
      stepName: step.name,
      uses: step.uses,
      target: step.target,
      input: redactSecrets(step.input),
      commands: commandsOf(step.commands),
      policy: run.policy,
      incidentId: run.incidentId,
    })),
    incidents: [...open, ...recent],
    silences: silenceRows,
    policies: policyRows.map((p) => ({
      file: p.file,
      name: p.name,
      state: policyState(p),
      lastError: p.lastError,
    })),
    events: recentEvents.map((e) => ({ ...e, payload: redactSecrets(e.payload) })),
    now,
  }
}

/** The feed leaves out check-level chatter and schedules; the incident timeline has them. */
const SHOWN_EVENTS = EVENT_TYPES.filter((type) => !type.startsWith('check.') && type !== 'schedule')
