// Events: newest first, filtered by type, subject, labels and time, paged with an opaque cursor.
import { and, desc, eq, gte, inArray, lt, lte, type SQL, sql } from 'drizzle-orm'
import { z } from 'zod'
import { events } from '../../store/index.ts'
import { HttpError } from '../http-error.ts'
import { endpoint } from '../route.ts'
import { EventOut, Instant, Limit, Page, Repeated, redactSecrets } from '../schemas.ts'

export const listEvents = endpoint({
  summary: 'Events, newest first',
  description:
    '`subject` matches exactly, or by prefix when it ends in `*` (`node2*`). `label` repeats: `label=severity=critical&label=node=node2` (all must match). Follow `nextCursor` for older events.',
  tag: 'events',
  query: z.object({
    type: Repeated.optional(),
    subject: z.string().max(512).optional(),
    label: Repeated.optional(),
    since: Instant.optional(),
    until: Instant.optional(),
    limit: Limit,
    cursor: z.string().optional(),
  }),
  response: Page(EventOut),
  handler: async ({ c, api, query }) => {
    const filters: (SQL | undefined)[] = [
      query.type ? inArray(events.type, query.type) : undefined,
      subjectFilter(query.subject),
      query.since !== undefined ? gte(events.at, query.since) : undefined,
      query.until !== undefined ? lte(events.at, query.until) : undefined,
      query.cursor ? lt(events.id, decodeCursor(query.cursor)) : undefined,
      ...(query.label ?? []).map(labelFilter),
    ]
    const rows = await api.store.db
      .select()
      .from(events)
      .where(and(...filters))
      .orderBy(desc(events.id))
      .limit(query.limit + 1)
    const items = rows.slice(0, query.limit).map(eventOut)
    const last = items.at(-1)
    return c.json({
      items,
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
    })
  },
})

/** An event row as the API shows it (dedup keys stay internal, secrets redacted). */
export function eventOut(row: typeof events.$inferSelect): z.output<typeof EventOut> {
  return {
    id: row.id,
    type: row.type,
    subject: row.subject,
    at: row.at,
    labels: row.labels,
    payload: redactSecrets(row.payload),
  }
}

function subjectFilter(subject: string | undefined): SQL | undefined {
  if (!subject) return undefined
  if (!subject.endsWith('*')) return eq(events.subject, subject)
  const prefix = subject.slice(0, -1).replace(/[\\%_]/g, (m) => `\\${m}`)
  return sql`${events.subject} LIKE ${`${prefix}%`} ESCAPE '\\'`
}

function labelFilter(pair: string): SQL {
  const at = pair.indexOf('=')
  const key = pair.slice(0, at)
  if (at < 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
    throw new HttpError(400, 'BAD_REQUEST', `[api] label filter "${pair}" must be name=value`)
  return sql`json_extract(${events.labels}, ${`$.${key}`}) = ${pair.slice(at + 1)}`
}

function encodeCursor(id: number): string {
  return Buffer.from(`e:${id}`).toString('base64url')
}

function decodeCursor(cursor: string): number {
  const match = /^e:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) throw new HttpError(400, 'BAD_REQUEST', '[api] cursor is not one this API gave out')
  return Number(match[1])
}
