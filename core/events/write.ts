// The events table's writer: the statements that store events in order, inside the caller's batch.
import { type SQL, sql } from 'drizzle-orm'
import { type Db, events } from '../store/index.ts'
import type { TandemEvent } from './types.ts'

/** Rows per INSERT statement, well under SQLite's bound-variable limit. */
const CHUNK = 400

/** The statements for one `db.batch`, and how to read the stored events back from its results. */
export interface EventWrites {
  readonly statements: unknown[]
  /** The events that were stored, with their ids, from the batch results of `statements`. */
  stored(results: readonly unknown[]): TandemEvent[]
}

/**
 * Stores `list` in order, in the same transaction as the caller's own statements. Where
 * `unlessFound(event)` gives a query, that event is stored only if the query finds no row:
 * news another writer stored already (one failure episode must be one event, or the leader
 * would decide twice). The other events are stored as they come, in multi-row inserts.
 *
 * @example
 * const writes = eventWrites(db, batch, () => undefined)
 * const results = await db.batch([...writes.statements, ...rows] as [never, ...never[]])
 * const stored = writes.stored(results)
 */
export function eventWrites(
  db: Db,
  list: readonly TandemEvent[],
  unlessFound: (event: TandemEvent) => SQL | undefined,
): EventWrites {
  const parts = eventParts(list, unlessFound)
  const statements = parts.map((part) =>
    part.kind === 'plain'
      ? db.insert(events).values(part.events.map(columns)).returning({ id: events.id })
      : db.all<{ id: number }>(insertUnless(part.event, part.unless)),
  )
  return {
    statements,
    stored(results) {
      const stored: TandemEvent[] = []
      parts.forEach((part, i) => {
        const ids = results[i] as { id: number }[]
        const list = part.kind === 'plain' ? part.events : ids.length > 0 ? [part.event] : []
        for (const [k, event] of list.entries()) stored.push({ ...event, id: ids[k]?.id })
      })
      return stored
    },
  }
}

type EventPart =
  | { kind: 'plain'; events: TandemEvent[] }
  | { kind: 'unless'; event: TandemEvent; unless: SQL }

function eventParts(
  list: readonly TandemEvent[],
  unlessFound: (event: TandemEvent) => SQL | undefined,
): EventPart[] {
  const parts: EventPart[] = []
  for (const event of list) {
    const unless = unlessFound(event)
    if (unless) {
      parts.push({ kind: 'unless', event, unless })
      continue
    }
    const last = parts.at(-1)
    if (last?.kind === 'plain' && last.events.length < CHUNK) last.events.push(event)
    else parts.push({ kind: 'plain', events: [event] })
  }
  return parts
}

function columns({ type, subject, at, labels, payload }: TandemEvent) {
  return { type, subject, at, labels, payload }
}

function insertUnless(event: TandemEvent, unless: SQL) {
  return sql`INSERT INTO events (type, subject, at, labels, payload)
    SELECT ${event.type}, ${event.subject}, ${event.at}, ${JSON.stringify(event.labels)},
      ${JSON.stringify(event.payload)}
    WHERE NOT EXISTS (${unless})
    RETURNING id`
}
