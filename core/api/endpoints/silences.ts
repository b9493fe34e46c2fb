// Silences (mute notices) and maintenance windows (mute notices and hold actions): list, create, expire.
import { randomUUID } from 'node:crypto'
import { and, asc, eq, gt, lte, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { auditInsert } from '../../act/index.ts'
import { Duration, patternProblem } from '../../inventory/index.ts'
import { expireSilence as expireStoredSilence, insertSilence } from '../../notify/index.ts'
import { silences } from '../../store/index.ts'
import { HttpError } from '../http-error.ts'
import { endpoint } from '../route.ts'
import { Instant, Matcher, SilenceOut } from '../schemas.ts'

const MAX_WINDOW_MS = 366 * 86_400_000

const CreateSilence = z
  .object({
    kind: z.enum(['silence', 'maintenance']).default('silence'),
    matchers: z.array(Matcher).min(1).max(32),
    startsAt: Instant.optional(),
    endsAt: Instant.optional(),
    /** Instead of endsAt: `2h`, `30m` from the start. */
    duration: Duration.optional(),
    comment: z.string().trim().min(1).max(1000),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.endsAt === undefined) === (s.duration === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['endsAt'],
        message: 'give exactly one of endsAt or duration',
      })
    // Named here, where the field is known; the handler checks the window again once startsAt
    // defaults to now.
    if (s.duration !== undefined && s.duration > MAX_WINDOW_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['duration'],
        message: 'a silence lasts at most 366 days',
      })
    if (s.startsAt !== undefined && s.endsAt !== undefined && s.endsAt - s.startsAt > MAX_WINDOW_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['endsAt'],
        message: 'a silence lasts at most 366 days',
      })
    s.matchers.forEach((m, i) => {
      if (m.op !== '=~' && m.op !== '!~') return
      // RE2 (Alertmanager's syntax): matching is linear in the input, whatever the pattern.
      const problem = patternProblem(m.value)
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: ['matchers', i, 'value'],
          message: `not a valid RE2 regular expression: ${problem.message} at position ${problem.position}`,
        })
    })
  })

export const listSilences = endpoint({
  summary: 'Silences and maintenance windows',
  tag: 'silences',
  query: z.object({
    state: z.enum(['active', 'pending', 'expired', 'current', 'all']).default('current'),
    kind: z.enum(['silence', 'maintenance']).optional(),
  }),
  response: z.object({ items: z.array(SilenceOut) }),
  handler: async ({ c, api, query }) => {
    const now = api.now()
    const when: Record<string, SQL | undefined> = {
      active: and(lte(silences.startsAt, now), gt(silences.endsAt, now)),
      pending: gt(silences.startsAt, now),
      expired: lte(silences.endsAt, now),
      current: gt(silences.endsAt, now),
      all: undefined,
    }
    const rows = await api.store.db
      .select()
      .from(silences)
      .where(and(when[query.state], query.kind ? eq(silences.kind, query.kind) : undefined))
      .orderBy(asc(silences.startsAt))
      .limit(1000)
    return c.json({ items: rows.map((r) => silenceOut(r, now)) })
  },
})

export const createSilence = endpoint({
  summary: 'Create a silence or a maintenance window',
  tag: 'silences',
  body: CreateSilence,
  response: SilenceOut,
  status: 201,
  handler: async ({ c, api, body, caller }) => {
    const now = api.now()
    const startsAt = body.startsAt ?? now
    const endsAt = body.endsAt ?? startsAt + (body.duration ?? 0)
    if (endsAt <= startsAt || endsAt <= now)
      throw new HttpError(
        400,
        'BAD_REQUEST',
        '[api] endsAt must be after startsAt and in the future',
      )
    if (endsAt - startsAt > MAX_WINDOW_MS)
      throw new HttpError(400, 'BAD_REQUEST', '[api] a silence lasts at most 366 days')
    const row = {
      id: `sil_${randomUUID()}`,
      kind: body.kind,
      matchers: body.matchers,
      startsAt,
      endsAt,
      createdBy: caller?.name ?? 'unknown',
      comment: body.comment,
    }
    await api.store.db.batch([
      insertSilence(api.store.db, row),
      auditInsert(api.store.db, {
        at: now,
        actor: `api:${row.createdBy}`,
        action: `${row.kind}.create`,
        target: row.id,
        decision: 'allowed',
        reason: row.comment,
      }),
    ])
    return c.json(silenceOut(row, now), 201)
  },
})

export const expireSilence = endpoint({
  summary: 'Expire a silence or maintenance window now',
  tag: 'silences',
  params: z.object({ id: z.string().min(1).max(200) }),
  response: SilenceOut,
  handler: async ({ c, api, params, caller }) => {
    const now = api.now()
    const updated = await expireStoredSilence(api.store.db, params.id, now)
    if (updated) {
      await auditInsert(api.store.db, {
        at: now,
        actor: `api:${caller?.name ?? 'unknown'}`,
        action: `${updated.kind}.expire`,
        target: updated.id,
        decision: 'allowed',
      })
      return c.json(silenceOut(updated, now))
    }
    const [existing] = await api.store.db.select().from(silences).where(eq(silences.id, params.id))
    if (!existing) throw new HttpError(404, 'NOT_FOUND', `[api] no silence ${params.id}`)
    return c.json(silenceOut(existing, now))
  },
})

function silenceOut(row: typeof silences.$inferSelect, now: number): z.output<typeof SilenceOut> {
  const state = row.endsAt <= now ? 'expired' : row.startsAt > now ? 'pending' : 'active'
  return { ...row, kind: row.kind === 'maintenance' ? 'maintenance' : 'silence', state }
}
