// Incidents: the list, and one incident with its runs, step timeline, audit and notices.
import { and, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { incidents, runs } from '../../store/index.ts'
import { HttpError } from '../http-error.ts'
import { endpoint } from '../route.ts'
import { IncidentOut, Limit, Page, RunOut, StepOut } from '../schemas.ts'
import { incidentDetail } from '../views/incident-detail.ts'

const IncidentItem = IncidentOut.extend({
  runs: z.number().int(),
  lastRunStatus: z.string().nullable(),
})

export const listIncidents = endpoint({
  summary: 'Incidents, most recently opened first',
  tag: 'incidents',
  query: z.object({
    status: z.enum(['open', 'resolved', 'closed']).optional(),
    limit: Limit,
    cursor: z.string().optional(),
  }),
  response: Page(IncidentItem),
  handler: async ({ c, api, query }) => {
    const { db } = api.store
    const rows = await db
      .select()
      .from(incidents)
      .where(
        and(
          query.status ? eq(incidents.status, query.status) : undefined,
          cursorFilter(query.cursor),
        ),
      )
      .orderBy(desc(incidents.openedAt), desc(incidents.id))
      .limit(query.limit + 1)
    const page = rows.slice(0, query.limit)
    const ids = page.map((r) => r.id)
    const runRows = ids.length
      ? await db
          .select({ incidentId: runs.incidentId, status: runs.status, startedAt: runs.startedAt })
          .from(runs)
          .where(inArray(runs.incidentId, ids))
      : []
    const items = page.map((incident) => {
      const mine = runRows.filter((r) => r.incidentId === incident.id)
      const last = mine.sort((a, b) => b.startedAt - a.startedAt)[0]
      return { ...incident, runs: mine.length, lastRunStatus: last?.status ?? null }
    })
    const last = page.at(-1)
    return c.json({
      items,
      nextCursor:
        rows.length > query.limit && last
          ? Buffer.from(`${last.openedAt}:${last.id}`).toString('base64url')
          : null,
    })
  },
})

export const getIncident = endpoint({
  summary: 'One incident: evidence, runs and steps, audit, notices, and the timeline',
  tag: 'incidents',
  params: z.object({ id: z.string().min(1).max(200) }),
  response: z.object({
    incident: IncidentOut,
    evidence: z.array(
      z.object({ id: z.number(), type: z.string(), subject: z.string(), at: z.number() }).loose(),
    ),
    runs: z.array(
      RunOut.extend({ steps: z.array(StepOut.extend({ approval: z.unknown() }).loose()) }).loose(),
    ),
    audit: z.array(z.record(z.string(), z.unknown())),
    notices: z.array(z.record(z.string(), z.unknown())),
    timeline: z.array(
      z.object({
        at: z.number(),
        kind: z.enum(['evidence', 'policy', 'step', 'guard', 'approval', 'notice']),
        title: z.string(),
        detail: z.string().nullable(),
        status: z.string().nullable(),
        commands: z.array(
          z.object({
            argv: z.array(z.string()),
            node: z.string().optional(),
            note: z.string().optional(),
          }),
        ),
      }),
    ),
  }),
  handler: async ({ c, api, params }) => {
    const detail = await incidentDetail(api.store, params.id, api.now())
    if (!detail) throw new HttpError(404, 'NOT_FOUND', `[api] no incident ${params.id}`)
    return c.json({ ...detail, evidence: detail.evidence.map(({ dedupKey: _k, ...e }) => e) })
  },
})

function cursorFilter(cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined
  const match = /^(\d+):(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) throw new HttpError(400, 'BAD_REQUEST', '[api] cursor is not one this API gave out')
  const openedAt = Number(match[1])
  return or(
    lt(incidents.openedAt, openedAt),
    and(eq(incidents.openedAt, openedAt), lt(incidents.id, match[2] as string)),
  )
}
