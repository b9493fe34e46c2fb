// Writing ingested events: concurrent requests share one atomic batch (group commit), de-duplicated by events.dedupKey.
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

const CHUNK = 400 // rows per INSERT: 7 bound values each stays far below SQLite's variable limit
const MAX_BATCH_ROWS = 5_000

/**
 * Stores events; rows whose dedup key already exists are skipped (a retry, or the other half
 * of an Alertmanager HA pair). Requests that arrive while a write is in flight are committed
 * together in the next batch: one fsync for many senders. Resolves only once the rows are
 * durable; rejects (→ 503, the sender retries) when the store cannot take them.
 */
export async function storeIngested(
  api: ApiContext,
  source: string,
  rows: IngestedEvent[],
): Promise<{ stored: number; duplicates: number }> {
  const stored = rows.length ? await writerOf(api).write(rows) : 0
  const counter = api.metrics.counter('tandem_ingest_alerts_total', 'Alerts received by ingest', [
    'source',
    'outcome',
  ])
  counter.inc({ source, outcome: 'stored' }, stored)
  counter.inc({ source, outcome: 'duplicate' }, rows.length - stored)
  if (stored > 0) api.shared.events.inc({ type: rows[0]?.type ?? 'alert.received' }, stored)
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

interface Waiting {
  rows: IngestedEvent[]
  resolve(stored: number): void
  reject(error: unknown): void
}

const writers = new WeakMap<ApiContext, { write(rows: IngestedEvent[]): Promise<number> }>()

function writerOf(api: ApiContext) {
  let writer = writers.get(api)
  if (!writer) {
    writer = createGroupWriter(api)
    writers.set(api, writer)
  }
  return writer
}

/** Queues requests while a batch is in flight; nothing is answered before its batch commits. */
function createGroupWriter(api: ApiContext) {
  let queue: Waiting[] = []
  let busy = false
  const flush = async () => {
    if (busy || queue.length === 0) return
    busy = true
    const batch = takeBatch()
    try {
      const storedKeys = await insert(
        api,
        batch.flatMap((w) => w.rows),
      )
      for (const waiting of batch) {
        // A key two requests share in one batch (an HA pair) counts for the first only.
        let stored = 0
        for (const row of waiting.rows) if (storedKeys.delete(row.dedupKey)) stored++
        waiting.resolve(stored)
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error)
    } finally {
      busy = false
      if (queue.length > 0) setImmediate(flush)
    }
  }
  const takeBatch = () => {
    let rows = 0
    let n = 0
    while (n < queue.length && (n === 0 || rows + (queue[n]?.rows.length ?? 0) <= MAX_BATCH_ROWS))
      rows += queue[n++]?.rows.length ?? 0
    const batch = queue.slice(0, n)
    queue = queue.slice(n)
    return batch
  }
  return {
    write(rows: IngestedEvent[]): Promise<number> {
      return new Promise((resolve, reject) => {
        queue.push({ rows, resolve, reject })
        if (!busy) setImmediate(flush)
      })
    },
  }
}

async function insert(api: ApiContext, rows: IngestedEvent[]): Promise<Set<string>> {
  const { db } = api.store
  const timer = api.shared.dbLatency.startTimer({ op: 'write' })
  const statements = []
  for (let i = 0; i < rows.length; i += CHUNK)
    statements.push(
      db
        .insert(events)
        .values(rows.slice(i, i + CHUNK))
        .onConflictDoNothing({ target: events.dedupKey })
        .returning({ key: events.dedupKey }),
    )
  const [head, ...tail] = statements
  const results = head ? await db.batch([head, ...tail]) : []
  timer()
  return new Set(results.flat().map((r) => r.key ?? ''))
}
