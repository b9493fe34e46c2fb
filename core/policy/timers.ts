// `for:` timers and deferred runs: what must wait (a condition's `for:`, a guard's window) waits in the store, so a restart loses nothing.
import { eq, inArray, lte } from 'drizzle-orm'
import type { EventType, TandemEvent } from '../events/index.ts'
import { type Db, policyTimers, type Store } from '../store/index.ts'
import type { HealthView } from './views.ts'

/** A policy waiting for its `for:` duration on one subject, or a deferred run (`deferralKey`). */
export interface PendingTimer {
  /**
   * `policy|type|subject`: the first event starts it, repeats do not restart it. A deferred run's
   * is `defer|policy|incident`, and a newer refusal replaces it.
   */
  key: string
  policy: string
  event: TandemEvent
  since: number
  dueAt: number
}

export interface TimerStore {
  /** Starts a timer unless one is already running for its key; true when started. */
  start(timer: PendingTimer): Promise<boolean>
  /**
   * Stores a run a time window refused, due when the window ends, replacing the deferral of the
   * same key; inside the caller's transaction when given one (the one that writes the refusal).
   */
  defer(timer: PendingTimer, tx?: DeferTx): Promise<void>
  /**
   * Drops the timers an event resolves (a `node.up` ends the wait of a `node.down`), and the
   * deferred runs it reverses either way (a `check.failed` also ends a deferred `check.recovered`).
   */
  cancelResolved(event: TandemEvent): Promise<PendingTimer[]>
  /** Takes the timers due at `now` out of the store; only one caller gets each (replays). */
  claimDue(now: number): Promise<PendingTimer[]>
  /** The timers due at `now`, left in place until their run is written (`consume`). */
  listDue(now: number): Promise<PendingTimer[]>
  /**
   * Removes one timer, inside the caller's transaction when given one (the daemon passes the
   * transaction that writes the timer's run, so a crash keeps both or neither).
   */
  consume(key: string, tx?: TimerTx): Promise<void>
  list(): Promise<PendingTimer[]>
}

/** Any transaction (or the database) that can delete a timer row. */
export type TimerTx = Pick<Db, 'delete'>
/** Any transaction (or the database) that can write a deferred run's row. */
export type DeferTx = Pick<Db, 'insert'>

/** For each event type, the waiting event types it resolves on the same subject. */
export const RESOLVES: Partial<Record<EventType, EventType[]>> = {
  'node.up': ['node.down', 'node.unreachable'],
  'service.up': ['service.down', 'service.degraded'],
  'check.recovered': ['check.failed'],
  'vm.up': ['vm.down'],
  'service.started': ['service.stopped'],
  'alert.resolved': ['alert.received'],
  'flapping.stop': ['flapping.start'],
  'monitor.sighted': ['monitor.blind'],
}

export function timerKey(policy: string, event: TandemEvent): string {
  return `${policy}|${event.type}|${event.subject}`
}

/** The event types that can end a timer: RESOLVES's keys, and its values for deferred runs. */
const ENDING = new Set<string>(Object.entries(RESOLVES).flatMap(([type, ends]) => [type, ...ends]))

const DEFERRAL = 'defer|'

/** One deferred run per policy and incident: a newer refusal of the same run replaces it. */
function deferralKey(policy: string, incidentKey: string): string {
  return `${DEFERRAL}${policy}|${incidentKey}`
}

/** The timer that brings back a run a time window refused at `since`, due at `until`. */
export function deferredRun(
  plan: { policy: string; incidentKey: string; event: TandemEvent },
  since: number,
  until: number,
): PendingTimer {
  return {
    key: deferralKey(plan.policy, plan.incidentKey),
    policy: plan.policy,
    event: plan.event,
    since,
    dueAt: until,
  }
}

export function isDeferral(key: string): boolean {
  return key.startsWith(DEFERRAL)
}

/**
 * Whether `event` ends a timer started by an event of type `waiting`: what it resolves, and for
 * a deferred run also the reverse (a deferred restore is moot once the server fails again).
 */
function ends(event: TandemEvent, key: string, waiting: EventType): boolean {
  if (RESOLVES[event.type]?.includes(waiting)) return true
  return isDeferral(key) && (RESOLVES[waiting]?.includes(event.type) ?? false)
}

/** A timer's columns beside its key. */
function rowOf(timer: PendingTimer) {
  return {
    policy: timer.policy,
    eventId: timer.event.id ?? null,
    since: timer.since,
    dueAt: timer.dueAt,
    event: timer.event as unknown as Record<string, unknown>,
    subject: timer.event.subject,
  }
}

/**
 * Timers in the store's `policy_timers` table.
 *
 * @example
 * const timers = storeTimers(await openStore(url))
 * for (const t of await timers.claimDue(Date.now())) ...
 */
export function storeTimers(store: Store): TimerStore {
  const { db } = store
  const toTimer = (row: typeof policyTimers.$inferSelect): PendingTimer => ({
    key: row.key,
    policy: row.policy,
    event: row.event as unknown as TandemEvent,
    since: row.since,
    dueAt: row.dueAt,
  })
  return {
    async start(timer) {
      const inserted = await db
        .insert(policyTimers)
        .values({ key: timer.key, ...rowOf(timer) })
        .onConflictDoNothing()
        .returning({ key: policyTimers.key })
      return inserted.length > 0
    },
    async defer(timer, tx = db) {
      const row = rowOf(timer)
      await tx
        .insert(policyTimers)
        .values({ key: timer.key, ...row })
        .onConflictDoUpdate({ target: policyTimers.key, set: row })
    },
    async cancelResolved(event) {
      if (!ENDING.has(event.type)) return []
      const waiting = await db
        .select({ key: policyTimers.key, event: policyTimers.event })
        .from(policyTimers)
        .where(eq(policyTimers.subject, event.subject))
      const keys = waiting
        .filter((row) => ends(event, row.key, (row.event as { type: EventType }).type))
        .map((row) => row.key)
      if (keys.length === 0) return []
      const rows = await db.delete(policyTimers).where(inArray(policyTimers.key, keys)).returning()
      return rows.map(toTimer)
    },
    async claimDue(now) {
      const rows = await db.delete(policyTimers).where(lte(policyTimers.dueAt, now)).returning()
      return rows.map(toTimer)
    },
    async listDue(now) {
      const rows = await db.select().from(policyTimers).where(lte(policyTimers.dueAt, now))
      return rows.map(toTimer)
    },
    async consume(key, tx = db) {
      await tx.delete(policyTimers).where(eq(policyTimers.key, key))
    },
    async list() {
      return (await db.select().from(policyTimers)).map(toTimer)
    },
  }
}

/** The same timers in memory, for replays (`tandem simulate`) that must not touch the store. */
export function memoryTimers(): TimerStore {
  const timers = new Map<string, PendingTimer>()
  return {
    async start(timer) {
      if (timers.has(timer.key)) return false
      timers.set(timer.key, timer)
      return true
    },
    async defer(timer) {
      timers.set(timer.key, timer)
    },
    async cancelResolved(event) {
      const gone = [...timers.values()].filter(
        (t) => t.event.subject === event.subject && ends(event, t.key, t.event.type),
      )
      for (const t of gone) timers.delete(t.key)
      return gone
    },
    async claimDue(now) {
      const due = [...timers.values()]
        .filter((t) => t.dueAt <= now)
        .sort((a, b) => a.dueAt - b.dueAt)
      for (const t of due) timers.delete(t.key)
      return due
    },
    async listDue(now) {
      return [...timers.values()].filter((t) => t.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt)
    },
    async consume(key) {
      timers.delete(key)
    },
    async list() {
      return [...timers.values()]
    },
  }
}

/**
 * Whether a due timer may still fire on today's health: a `for:` timer while its subject has not
 * recovered, a deferred run while health does not contradict its event. The daemon and
 * `tandem simulate` ask the same question.
 */
export function dueStillHolds(timer: PendingTimer, health: HealthView): boolean {
  return isDeferral(timer.key) ? stillTrue(timer.event, health) : stillHolds(timer.event, health)
}

/**
 * At the end of `for:`, health must not show the subject recovered. Unknown health does not
 * block: the resolving event (which cancels the timer) is the primary signal.
 */
function stillHolds(event: TandemEvent, health: HealthView): boolean {
  // Where a service runs is not its health (every check can pass while it runs nowhere):
  // service.started, which cancels the timer, is the only end of service.stopped.
  if (event.type === 'service.stopped') return true
  return stateOf(event, health) !== 'up'
}

/** The subject's health state in the view of its family (checks only when asked). */
function stateOf(event: TandemEvent, health: HealthView, checks = false): string | undefined {
  const [family] = event.type.split('.')
  const table =
    family === 'node'
      ? health.nodes
      : family === 'service'
        ? health.services
        : family === 'vm'
          ? health.vms
          : family === 'check' && checks
            ? health.checks
            : undefined
  return table?.[event.subject]
}

/**
 * When a deferred run comes due, health must not contradict its event: a deferred recovery
 * (`check.recovered`, `node.up` …) waits for a subject not failing now, a deferred failure for
 * one not up. Unknown health does not block, as for `for:`.
 */
function stillTrue(event: TandemEvent, health: HealthView): boolean {
  // Placement is not health (see stillHolds): only the opposite event ends these.
  if (event.type === 'service.stopped' || event.type === 'service.started') return true
  const state = stateOf(event, health, true)
  if (state === undefined || state === 'unknown') return true
  const recovery = RESOLVES[event.type] !== undefined
  return recovery ? !FAILING.includes(state) : state !== 'up'
}

const FAILING = ['down', 'unreachable']
