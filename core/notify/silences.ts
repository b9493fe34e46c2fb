// Silences and maintenance windows: stored label matchers with a time range that mute matching notices.
import { randomUUID } from 'node:crypto'
import { and, desc, eq, gt, lte } from 'drizzle-orm'
import { TandemError } from '../errors.ts'
import { type LabelMatcher, matchesAll, parseMatcher } from '../inventory/index.ts'
import { type Db, silences } from '../store/index.ts'

export type Silence = typeof silences.$inferSelect

/** What a caller (API, CLI) gives to create a silence; matchers as `label=value` strings or objects. */
export interface SilenceInput {
  kind?: 'silence' | 'maintenance'
  matchers: (string | LabelMatcher)[]
  startsAt: number
  endsAt: number
  createdBy: string
  comment: string
}

/**
 * Stores a silence (or a maintenance window). At least one matcher is required: a silence
 * that matches everything would hide the next outage.
 *
 * @example
 * await addSilence(store.db, { kind: 'maintenance', matchers: ['node="node2"'],
 *   startsAt: Date.now(), endsAt: Date.now() + 3_600_000, createdBy: 'ana', comment: 'BIOS update' })
 */
export async function addSilence(db: Db, input: SilenceInput): Promise<Silence> {
  const matchers = input.matchers.map((m) => {
    const parsed =
      typeof m === 'string'
        ? parseMatcher(m)
        : parseMatcher(`${m.label}${m.op}${JSON.stringify(m.value)}`)
    if (typeof parsed === 'string') throw new TandemError('BAD_REQUEST', `[notify] ${parsed}`)
    return parsed
  })
  if (matchers.length === 0)
    throw new TandemError('BAD_REQUEST', '[notify] a silence needs at least one matcher')
  if (!(input.endsAt > input.startsAt))
    throw new TandemError('BAD_REQUEST', '[notify] a silence must end after it starts')
  if (!input.createdBy.trim() || !input.comment.trim())
    throw new TandemError('BAD_REQUEST', '[notify] a silence needs createdBy and a comment')
  const row: Silence = {
    id: randomUUID(),
    kind: input.kind ?? 'silence',
    matchers,
    startsAt: input.startsAt,
    endsAt: input.endsAt,
    createdBy: input.createdBy,
    comment: input.comment,
  }
  await insertSilence(db, row)
  return row
}

/**
 * The statement that stores a checked silence, awaited alone or in the caller's `db.batch`
 * beside its audit entry (the API's create).
 */
export function insertSilence(db: Db, row: Silence) {
  return db.insert(silences).values(row)
}

/** Ends a silence now; returns it as ended, undefined when it does not exist or already ended. */
export async function expireSilence(db: Db, id: string, now: number): Promise<Silence | undefined> {
  const [ended] = await db
    .update(silences)
    .set({ endsAt: now })
    .where(and(eq(silences.id, id), gt(silences.endsAt, now)))
    .returning()
  return ended
}

/** Silences in force at `now` (started, not ended). */
export async function activeSilences(db: Db, now: number): Promise<Silence[]> {
  return db
    .select()
    .from(silences)
    .where(and(lte(silences.startsAt, now), gt(silences.endsAt, now)))
    .orderBy(desc(silences.startsAt))
}

/** The first silence among `active` that mutes `labels`, if any. */
export function mutingSilence(
  active: readonly Silence[],
  labels: Record<string, string>,
  kind?: Silence['kind'],
): Silence | undefined {
  return active.find((s) => (!kind || s.kind === kind) && matchesAll(labels, s.matchers))
}

/**
 * True when a maintenance window covers `labels` at `now`: the executor holds actions on such
 * targets (guards) and notices about them are muted, except failures (escalation).
 */
export async function inMaintenance(
  db: Db,
  labels: Record<string, string>,
  now: number,
): Promise<boolean> {
  return mutingSilence(await activeSilences(db, now), labels, 'maintenance') !== undefined
}
