// What changed in the store since a cursor: new events, and steps, runs, approvals, health and fence rows updated.
import { asc, gt, gte, max } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import {
  approvals,
  events,
  fenceStates,
  healthStates,
  runs,
  type Store,
  steps,
} from '../store/index.ts'
import { eventOut } from './endpoints/events.ts'

/** Where a stream is: the last event id sent and the change time it has seen up to. */
export interface LiveCursor {
  eventId: number
  changedAt: number
}

export interface LiveMessage {
  event: 'event' | 'step' | 'run' | 'approval' | 'health' | 'fence'
  data: Record<string, unknown>
}

/**
 * Several instances write with their own clocks: changes are re-read with this overlap and
 * de-duplicated by key + update time, so a row written "in the past" by a slower clock is
 * still seen once.
 */
const CLOCK_OVERLAP_MS = 2_000
const BATCH = 200

export function encodeCursor(cursor: LiveCursor): string {
  return Buffer.from(`${cursor.eventId}.${cursor.changedAt}`).toString('base64url')
}

export function decodeCursor(text: string | undefined): LiveCursor | undefined {
  if (!text) return undefined
  const match = /^(\d+)\.(\d+)$/.exec(Buffer.from(text, 'base64url').toString('utf8'))
  return match ? { eventId: Number(match[1]), changedAt: Number(match[2]) } : undefined
}

/** The cursor of "now": the newest event id and the current time. */
export async function currentCursor(store: Store, now: number): Promise<LiveCursor> {
  const [row] = await store.db.select({ id: max(events.id) }).from(events)
  return { eventId: row?.id ?? 0, changedAt: now }
}

/**
 * Polls for changes after `cursor`. `seen` (per stream) holds recently sent keys so the
 * overlap window does not repeat messages.
 *
 * @example
 * const { messages, cursor: next } = await changesSince(store, cursor, seen)
 */
export async function changesSince(
  store: Store,
  cursor: LiveCursor,
  seen: Map<string, number>,
): Promise<{ messages: LiveMessage[]; cursor: LiveCursor }> {
  const from = cursor.changedAt - CLOCK_OVERLAP_MS
  const { db } = store
  const [newEvents, stepRows, runRows, approvalRows, healthRows, fenceRows] = await Promise.all([
    db
      .select()
      .from(events)
      .where(gt(events.id, cursor.eventId))
      .orderBy(asc(events.id))
      .limit(BATCH),
    changed(store, steps, steps.updatedAt, from),
    changed(store, runs, runs.updatedAt, from),
    changed(store, approvals, approvals.updatedAt, from),
    changed(store, healthStates, healthStates.updatedAt, from),
    changed(store, fenceStates, fenceStates.updatedAt, from),
  ])
  const messages: LiveMessage[] = newEvents.map((e) => ({ event: 'event', data: eventOut(e) }))
  let changedAt = cursor.changedAt
  const emit = (
    event: LiveMessage['event'],
    key: string,
    updatedAt: number,
    data: Record<string, unknown>,
  ) => {
    changedAt = Math.max(changedAt, updatedAt)
    const id = `${event}:${key}`
    if (seen.get(id) === updatedAt) return
    seen.set(id, updatedAt)
    messages.push({ event, data })
  }
  for (const s of stepRows as (typeof steps.$inferSelect)[])
    emit('step', s.id, s.updatedAt ?? 0, {
      id: s.id,
      runId: s.runId,
      name: s.name,
      uses: s.uses,
      status: s.status,
      blockedBy: s.blockedBy,
    })
  for (const r of runRows as (typeof runs.$inferSelect)[])
    emit('run', r.id, r.updatedAt ?? 0, {
      id: r.id,
      incidentId: r.incidentId,
      policy: r.policy,
      status: r.status,
    })
  for (const a of approvalRows as (typeof approvals.$inferSelect)[])
    emit('approval', a.id, a.updatedAt ?? 0, { id: a.id, stepId: a.stepId, status: a.status })
  for (const h of healthRows as (typeof healthStates.$inferSelect)[])
    emit('health', h.target, h.updatedAt, {
      target: h.target,
      kind: h.kind,
      state: h.state,
      since: h.since,
    })
  for (const f of fenceRows as (typeof fenceStates.$inferSelect)[])
    emit('fence', f.node, f.updatedAt, { node: f.node, state: f.state })
  for (const [key, at] of seen) if (at < changedAt - 2 * CLOCK_OVERLAP_MS) seen.delete(key)
  const lastEvent = newEvents.at(-1)
  return { messages, cursor: { eventId: lastEvent?.id ?? cursor.eventId, changedAt } }
}

function changed(store: Store, table: SQLiteTable, column: SQLiteColumn, from: number) {
  return store.db.select().from(table).where(gte(column, from)).orderBy(asc(column)).limit(BATCH)
}
