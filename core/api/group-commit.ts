// Group commit for ingest: requests queued while a write is in flight share the next transaction (one fsync).
import { HttpError } from './http-error.ts'

/** A row the writer stores at most once, whoever sends it: its key is unique in the store. */
export interface Keyed {
  dedupKey: string
}

export interface GroupCommitOptions<Row extends Keyed> {
  /**
   * Writes the rows in one transaction and resolves, once durable, with the keys it stored
   * (rows whose key already existed, or appeared earlier in `rows`, are left out).
   */
  commit(rows: Row[]): Promise<Set<string>>
  /** Rows per transaction; a single larger request still goes alone. */
  maxBatchRows: number
  /** Rows waiting at most; beyond it a request is refused at once (503, the sender retries). */
  maxQueuedRows: number
}

export interface GroupCommitter<Row extends Keyed> {
  /** Resolves with the rows of this call that were stored, after their transaction committed. */
  write(rows: Row[]): Promise<Row[]>
  /** Rows waiting for a transaction (not counting the one in flight). */
  readonly queuedRows: number
}

/**
 * One writer per app (its store connection). A request is answered only after the transaction holding its
 * rows committed; a failed transaction fails every request in it, so none is told "stored" for
 * rows that are not. A key sent twice in one batch (an HA pair, a retry) counts for the first
 * request only, exactly as if the two had come one after the other.
 *
 * @example
 * const writer = createGroupCommitter({ commit: insertEvents, maxBatchRows: 5_000, maxQueuedRows: 20_000 })
 * const stored = await writer.write(rows) // the new ones; 503 HttpError when the queue is full
 */
export function createGroupCommitter<Row extends Keyed>(
  options: GroupCommitOptions<Row>,
): GroupCommitter<Row> {
  let queue: Waiting<Row>[] = []
  let queuedRows = 0
  let busy = false
  const flush = async () => {
    if (busy || queue.length === 0) return
    busy = true
    const batch = take()
    try {
      settle(batch, await options.commit(batch.flatMap((w) => w.rows)))
    } catch (error) {
      for (const waiting of batch) waiting.reject(error)
    } finally {
      busy = false
      // Whatever arrived during the commit goes next, after this turn's I/O has been read.
      if (queue.length > 0) setImmediate(flush)
    }
  }
  const take = (): Waiting<Row>[] => {
    let rows = 0
    let n = 0
    for (const waiting of queue) {
      if (n > 0 && rows + waiting.rows.length > options.maxBatchRows) break
      rows += waiting.rows.length
      n++
    }
    const batch = queue.slice(0, n)
    queue = queue.slice(n)
    queuedRows -= rows
    return batch
  }
  return {
    get queuedRows() {
      return queuedRows
    },
    write(rows) {
      if (rows.length === 0) return Promise.resolve([])
      if (queue.length > 0 && queuedRows + rows.length > options.maxQueuedRows)
        return Promise.reject(
          new HttpError(
            503,
            'STORE_UNAVAILABLE',
            `[ingest] ${queuedRows} alerts are waiting for the store; retry later`,
          ),
        )
      return new Promise((resolve, reject) => {
        queue.push({ rows, resolve, reject })
        queuedRows += rows.length
        // Not at once: the requests this I/O turn is still reading join the same batch.
        if (!busy && queue.length === 1) setImmediate(flush)
      })
    },
  }
}

interface Waiting<Row> {
  rows: Row[]
  resolve(stored: Row[]): void
  reject(error: unknown): void
}

/** Hands each waiting request its own count; a key is credited once, to the earliest sender. */
function settle<Row extends Keyed>(batch: Waiting<Row>[], storedKeys: Set<string>): void {
  for (const waiting of batch) {
    waiting.resolve(waiting.rows.filter((row) => storedKeys.delete(row.dedupKey)))
  }
}
