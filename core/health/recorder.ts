// Persists transitions: events and health_states rows in one transaction per batch, in order, with retries.
import { eq, inArray, type SQL, sql } from 'drizzle-orm'
import { eventWrites, type TandemEvent } from '../events/index.ts'
import type { Logger } from '../plugin/index.ts'
import { healthStates, type Store } from '../store/index.ts'
import type { HealthChanges } from './engine.ts'
import { announcedRow, type HealthRow, healthTarget } from './rows.ts'

/** Rows per INSERT statement, well under SQLite's bound-variable limit. */
const CHUNK = 400
/** Events kept while the store is unreachable; beyond this the oldest are dropped (and logged). */
const MAX_PENDING_EVENTS = 100_000
const RETRY_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000]

export interface Recorder {
  /** Queues one batch of changes; returns at once. Empty batches cost nothing. */
  record(changes: HealthChanges): void
  /** Resolves when everything queued so far is written (or the recorder is stopped). */
  flush(): Promise<void>
  stop(): void
}

/**
 * Writes transitions in the order they happened. One write runs at a time; batches that
 * arrive meanwhile are merged (a later row for a target replaces an earlier one). After a
 * successful write, `onEvents` receives the events with their ids.
 *
 * @example
 * const recorder = createRecorder(store, log, (events) => policies.dispatch(events))
 * recorder.record(engine.observe(results))
 */
export function createRecorder(
  store: Store,
  log: Logger,
  onEvents: (events: TandemEvent[]) => void = () => {},
): Recorder {
  let queuedEvents: TandemEvent[] = []
  let queuedRows = new Map<string, HealthRow>()
  let writing: Promise<void> | undefined
  let attempt = 0
  let retry: NodeJS.Timeout | undefined
  let stopped = false
  let waiters: (() => void)[] = []

  const idle = () => !writing && !retry && queuedEvents.length === 0 && queuedRows.size === 0

  function schedule(): void {
    if (writing || retry || stopped || idle()) {
      if (idle() || stopped) for (const wake of waiters.splice(0)) wake()
      return
    }
    const batch = { events: queuedEvents, rows: [...queuedRows.values()] }
    queuedEvents = []
    queuedRows = new Map()
    writing = write(store, batch).then(
      (stored) => {
        writing = undefined
        attempt = 0
        if (stored.length > 0) deliver(stored)
        schedule()
      },
      (error: Error) => {
        writing = undefined
        requeue(batch)
        const wait = RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]!
        log.error('[health] cannot write transitions; retrying', {
          error: error.message,
          waitMs: wait,
        })
        retry = setTimeout(() => {
          retry = undefined
          schedule()
        }, wait)
      },
    )
  }

  function requeue(batch: { events: TandemEvent[]; rows: HealthRow[] }): void {
    queuedEvents = [...batch.events, ...queuedEvents]
    const later = queuedRows
    queuedRows = new Map(batch.rows.map((row) => [row.target, row]))
    for (const [target, row] of later) queuedRows.set(target, row)
    if (queuedEvents.length > MAX_PENDING_EVENTS) {
      const dropped = queuedEvents.length - MAX_PENDING_EVENTS
      queuedEvents = queuedEvents.slice(dropped)
      log.error('[health] store unavailable too long: oldest events dropped', { dropped })
    }
  }

  function deliver(stored: TandemEvent[]): void {
    try {
      onEvents(stored)
    } catch (error) {
      log.error('[health] an event consumer failed', { error: (error as Error).message })
    }
  }

  return {
    record(changes) {
      if (stopped || (changes.events.length === 0 && changes.rows.length === 0)) return
      queuedEvents.push(...changes.events)
      for (const row of changes.rows) queuedRows.set(row.target, row)
      schedule()
    },
    flush() {
      if (idle() || stopped) return Promise.resolve()
      return new Promise((resolve) => waiters.push(resolve))
    },
    stop() {
      if (!idle())
        log.error('[health] stopping with transitions not yet stored', {
          events: queuedEvents.length,
          rows: queuedRows.size,
        })
      stopped = true
      clearTimeout(retry)
      retry = undefined
      for (const wake of waiters.splice(0)) wake()
      waiters = []
    },
  }
}

/**
 * Reads every health_states row, so a restarted engine resumes where the last one stopped.
 *
 * @example
 * const engine = createHealthEngine({ inventory, targets, restore: await loadHealthRows(store) })
 */
export async function loadHealthRows(store: Store): Promise<HealthRow[]> {
  const rows = await store.db.select().from(healthStates)
  return rows.map(toHealthRow)
}

function toHealthRow(row: typeof healthStates.$inferSelect): HealthRow {
  return {
    ...row,
    kind: row.kind as HealthRow['kind'],
    state: row.state as HealthRow['state'],
    stateType: row.stateType as HealthRow['stateType'],
    detail: row.detail ?? null,
    flapHistory: row.flapHistory ?? null,
  }
}

/** The stored rows of these targets (the few shared rows an instance re-reads each beat). */
export async function loadSharedRows(
  store: Store,
  targets: readonly string[],
): Promise<HealthRow[]> {
  const rows = await store.db
    .select()
    .from(healthStates)
    .where(inArray(healthStates.target, [...targets]))
  return rows.map(toHealthRow)
}

/** The stored rows live facts fill: services, VMs, storage (re-read when shards move, and at the shared rows' recorder's beats). */
export async function loadFactRows(store: Store): Promise<HealthRow[]> {
  const rows = await store.db
    .select()
    .from(healthStates)
    .where(inArray(healthStates.kind, ['service', 'vm', 'storage']))
  return rows.map(toHealthRow)
}

/**
 * True while the monitor suspects itself (more than monitor.blind_threshold of all targets
 * failing at once): the executor refuses destructive actions then.
 *
 * @example
 * if (await isMonitorBlind(store)) refuse('monitor blind')
 */
export async function isMonitorBlind(store: Store): Promise<boolean> {
  const [row] = await store.db
    .select({ state: healthStates.state })
    .from(healthStates)
    .where(eq(healthStates.target, healthTarget.monitor))
  return row?.state === 'down'
}

async function write(
  store: Store,
  batch: { events: TandemEvent[]; rows: HealthRow[] },
): Promise<TandemEvent[]> {
  const { db } = store
  // Each event's statement, in order; ids come back per statement (a run of plain inserts, or
  // one announcement another instance may have made already).
  const writes = eventWrites(db, batch.events, firstAnnouncements())
  const statements = [...writes.statements]
  for (let i = 0; i < batch.rows.length; i += CHUNK) {
    statements.push(
      db
        .insert(healthStates)
        .values(batch.rows.slice(i, i + CHUNK))
        .onConflictDoUpdate({
          target: healthStates.target,
          set: {
            kind: sql`excluded.kind`,
            state: sql`excluded.state`,
            stateType: sql`excluded.state_type`,
            flapping: sql`excluded.flapping`,
            since: sql`excluded.since`,
            detail: sql`excluded.detail`,
            flapHistory: sql`excluded.flap_history`,
            updatedAt: sql`excluded.updated_at`,
          },
        }),
    )
  }
  if (statements.length === 0) return []
  // One transaction: the rows are written after the announcements that read them.
  const results = (await db.batch(statements as [never, ...never[]])) as unknown[]
  return writes.stored(results)
}

/**
 * The first event of a batch about a row (`node.down` of node2) is stored only if the store
 * does not say so already: another instance announced it (a shard changing hands while the
 * node failed), and one failure episode must be one event, or the leader would decide twice.
 * Later events about the same row in this batch follow from the first and are stored as they
 * come.
 */
function firstAnnouncements(): (event: TandemEvent) => SQL | undefined {
  const seen = new Set<string>()
  return (event) => {
    const row = announcedRow(event)
    if (!row || seen.has(row.target)) return undefined
    seen.add(row.target)
    return sql`SELECT 1 FROM health_states WHERE target = ${row.target} AND state = ${row.state}`
  }
}
