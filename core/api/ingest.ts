// Writing ingested events: concurrent requests share one atomic batch (group commit), de-duplicated by events.dedupKey.
import { insertKeyedEvents } from '../events/index.ts'
import type { ApiContext } from './deps.ts'
import { createGroupCommitter, type GroupCommitter } from './group-commit.ts'

export interface IngestedEvent {
  type: 'alert.received' | 'alert.resolved'
  subject: string
  at: number
  labels: Record<string, string>
  payload: Record<string, unknown>
  dedupKey: string
}

const MAX_BATCH_ROWS = 5_000
// About four batches: a sender beyond this is told 503 at once rather than waiting minutes.
const MAX_QUEUED_ROWS = 20_000

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
  const counter = api.metrics.counter('tandem_ingest_alerts_total', 'Alerts received by ingest', [
    'source',
    'outcome',
  ])
  let stored: IngestedEvent[]
  try {
    stored = await writerOf(api).write(rows)
  } catch (error) {
    // Answered 503: the sender retries, and an operator sees how much was turned away.
    counter.inc({ source, outcome: 'refused' }, rows.length)
    throw error
  }
  counter.inc({ source, outcome: 'stored' }, stored.length)
  counter.inc({ source, outcome: 'duplicate' }, rows.length - stored.length)
  return { stored: stored.length, duplicates: rows.length - stored.length }
}

/** Maps a free-form severity onto tandem's three (info, warning, critical). */
export function normalSeverity(value: string | undefined): 'info' | 'warning' | 'critical' {
  const v = (value ?? '').toLowerCase()
  if (['critical', 'crit', 'error', 'page', 'high', 'emergency', 'alert', 'fatal'].includes(v))
    return 'critical'
  if (['info', 'informational', 'low', 'none', 'notice', 'debug'].includes(v)) return 'info'
  return 'warning'
}

const writers = new WeakMap<ApiContext, GroupCommitter<IngestedEvent>>()

function writerOf(api: ApiContext): GroupCommitter<IngestedEvent> {
  let writer = writers.get(api)
  if (!writer) {
    writer = createGroupCommitter({
      commit: (rows) => insert(api, rows),
      maxBatchRows: MAX_BATCH_ROWS,
      maxQueuedRows: MAX_QUEUED_ROWS,
    })
    writers.set(api, writer)
  }
  return writer
}

/** One write transaction for the batch; BEGIN IMMEDIATE takes the write lock up front. */
async function insert(api: ApiContext, rows: IngestedEvent[]): Promise<Set<string>> {
  const timer = api.shared.dbLatency.startTimer({ op: 'write' })
  const stored = await insertKeyedEvents(api.store.client, rows)
  timer()
  return stored
}
