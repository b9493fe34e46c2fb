// The events table's writer: every statement that stores an event (in order, keyed, or ingested in bulk).
import type { Client, InStatement } from '@libsql/client'
import { type SQL, sql } from 'drizzle-orm'
import { type Db, events } from '../store/index.ts'
import type { TandemEvent } from './types.ts'

/** Rows per INSERT statement, well under SQLite's bound-variable limit. */
const CHUNK = 400

/** The database or a transaction inside it: every writer here works inside either. */
type Writer = Pick<Db, 'insert'>

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

/** An event with the key that makes it unique: a retry or a second sender stores nothing new. */
export type KeyedEvent = Omit<TandemEvent, 'id'> & { dedupKey: string }

/**
 * The statement that stores one keyed event, for the caller's `db.batch` (or awaited alone).
 * A key stored before fails the statement on the unique index, and with it the whole batch:
 * the caller answers with what that first write stored.
 */
export function insertEvent(db: Writer, event: KeyedEvent) {
  return db.insert(events).values(columnsKeyed(event)).returning({ id: events.id })
}

/** Stores one keyed event unless its key is stored already; resolves to its id, or undefined. */
export async function insertEventOnce(db: Writer, event: KeyedEvent): Promise<number | undefined> {
  const [inserted] = await db
    .insert(events)
    .values(columnsKeyed(event))
    .onConflictDoNothing()
    .returning({ id: events.id })
  return inserted?.id
}

/**
 * Stores keyed events in one write transaction of multi-row inserts, skipping keys stored
 * before; resolves to the keys stored now. Plain SQL: drizzle spends more building a 400-row
 * statement than SQLite spends running it.
 */
export async function insertKeyedEvents(
  client: Client,
  rows: readonly KeyedEvent[],
): Promise<Set<string>> {
  const statements: InStatement[] = []
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK)
    statements.push({
      sql: `INSERT INTO events (type, subject, at, payload, labels, dedup_key) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key`,
      args: chunk.flatMap((r) => [
        r.type,
        r.subject,
        r.at,
        JSON.stringify(r.payload),
        JSON.stringify(r.labels),
        r.dedupKey,
      ]),
    })
  }
  const results = await client.batch(statements, 'write')
  return new Set(results.flatMap((r) => r.rows.map((row) => String(row.dedup_key))))
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

function columnsKeyed({ type, subject, at, labels, payload, dedupKey }: KeyedEvent) {
  return { type, subject, at, labels, payload, dedupKey }
}

function insertUnless(event: TandemEvent, unless: SQL) {
  return sql`INSERT INTO events (type, subject, at, labels, payload)
    SELECT ${event.type}, ${event.subject}, ${event.at}, ${JSON.stringify(event.labels)},
      ${JSON.stringify(event.payload)}
    WHERE NOT EXISTS (${unless})
    RETURNING id`
}
