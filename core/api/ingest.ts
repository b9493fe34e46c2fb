// Writing ingested events: one statement per chunk, de-duplicated by the events.dedupKey unique index.
import { events } from '../store/index.ts'
import type { ApiContext } from './deps.ts'

export interface IngestedEvent {
  type: 'alert.received' | 'alert.resolved'
  subject: string
  at: number
  labels: Record<string, string>
  payload: Record<string, unknown>
  dedupKey: string
}

const CHUNK = 400 // 7 bound values per row stays far below SQLite's variable limit

/**
 * Stores events in one atomic batch; rows whose dedup key already exists are skipped (a
 * retry, or the other half of an Alertmanager HA pair). Throws when the store cannot take
 * the write, so the route answers 503 and the sender retries.
 */
export async function storeIngested(
  api: ApiContext,
  source: string,
  rows: IngestedEvent[],
): Promise<{ stored: number; duplicates: number }> {
  const timer = api.shared.dbLatency.startTimer({ op: 'write' })
  // One batch: atomic, and a single short borrow of the connection (an interactive
  // transaction would hold the embedded store's only connection across awaits).
  const { db } = api.store
  const chunks = []
  for (let i = 0; i < rows.length; i += CHUNK)
    chunks.push(
      db
        .insert(events)
        .values(rows.slice(i, i + CHUNK))
        .onConflictDoNothing({ target: events.dedupKey })
        .returning({ id: events.id }),
    )
  const [head, ...tail] = chunks
  const results = head ? await db.batch([head, ...tail]) : []
  const stored = results.reduce((n, inserted) => n + inserted.length, 0)
  timer()
  const counter = api.metrics.counter('tandem_ingest_alerts_total', 'Alerts received by ingest', [
    'source',
    'outcome',
  ])
  counter.inc({ source, outcome: 'stored' }, stored)
  counter.inc({ source, outcome: 'duplicate' }, rows.length - stored)
  for (const row of rows.slice(0, stored)) api.shared.events.inc({ type: row.type })
  return { stored, duplicates: rows.length - stored }
}

/** Maps a free-form severity onto tandem's three (info, warning, critical). */
export function normalSeverity(value: string | undefined): 'info' | 'warning' | 'critical' {
  const v = (value ?? '').toLowerCase()
  if (['critical', 'crit', 'error', 'page', 'high', 'emergency', 'alert', 'fatal'].includes(v))
    return 'critical'
  if (['info', 'informational', 'low', 'none', 'notice', 'debug'].includes(v)) return 'info'
  return 'warning'
}
