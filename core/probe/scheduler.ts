// The check scheduler: a timing wheel of due checks, spread over each interval, under one concurrency cap.

import { firstDue } from './phase.ts'
import type { Prober } from './prober.ts'
import type { ProbeResult } from './result.ts'
import type { CheckTarget } from './targets.ts'
import { ReadyQueue, TimingWheel } from './wheel.ts'

/** One finished check, as the health engine receives it. */
export interface CheckResult {
  target: CheckTarget
  result: ProbeResult
  /** Wall-clock time (ms) the result arrived. */
  at: number
}

export interface SchedulerOptions {
  targets: readonly CheckTarget[]
  prober: Pick<Prober, 'run'>
  /** At most this many checks in flight; the rest wait their turn (monitor.max_concurrency). */
  maxConcurrency: number
  /** Receives the results of each tick as one batch (never an empty one). */
  onResults(batch: CheckResult[]): void
  /** Told how late (ms past its due time) each check started: the scheduler-lag metric. */
  onLate?(lagMs: number): void
  /** Wheel resolution: due checks are started, and results delivered, once per tick. */
  tickMs?: number
  /** A monotonic clock in ms (default performance.now): a wall-clock step must not stall checks. */
  now?: () => number
}

/** Counters for `tandem status` and the benchmark. */
export interface SchedulerStats {
  targets: number
  running: number
  /** Due but waiting for a free slot (back-pressure). */
  queued: number
  started: number
  completed: number
  /** Checks started more than 100 ms after their due time, and the worst lag seen. */
  late: number
  maxLagMs: number
}

export interface Scheduler {
  stats(): SchedulerStats
  /**
   * Starts probing more checks while the others keep their schedule. A new check starts at
   * its own phase (the next one, not at once); one still on the wheel is left as it is.
   */
  add(targets: readonly CheckTarget[]): void
  /**
   * Stops probing these checks: they are not started again, and a run in flight is awaited
   * (the promise) and its result dropped. Added back before that, a check keeps its schedule.
   */
  remove(ids: Iterable<string>): Promise<void>
  /** Stops starting checks and resolves once the ones in flight have settled. */
  stop(): Promise<void>
}

interface Slot {
  target: CheckTarget
  due: number
  /** Handed away: dropped when it next leaves the wheel or its run settles. */
  removed: boolean
  running: boolean
  /** Wakes remove() once this removed slot's run has settled. */
  settled?: () => void
}

const LATE_MS = 100

/**
 * Starts the scheduler. Each check runs at a fixed phase of its interval on the wall clock
 * (firstDue), on a timing wheel (TimingWheel) that hands due checks to a queue (ReadyQueue)
 * drained under the concurrency cap. A check is back on the wheel only after its
 * run has settled, so one check never runs twice at once; after a run that overstayed its
 * interval the next one starts at once: one late run, never a pile of catch-up runs.
 *
 * @example
 * const scheduler = startScheduler({ targets, prober, maxConcurrency: 512,
 *   onResults: (batch) => engine.observe(batch) })
 * await scheduler.stop()
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const tickMs = options.tickMs ?? 20
  const now = options.now ?? (() => performance.now())
  const wheel = new TimingWheel<Slot>(tickMs, now())
  const ready = new ReadyQueue<Slot>()
  let running = 0
  let results: CheckResult[] = []
  let stopped = false
  let onIdle: (() => void) | undefined
  const stats = { started: 0, completed: 0, late: 0, maxLagMs: 0 }
  /** Every check on the wheel, waiting or running, by id (removed ones until they leave). */
  const slots = new Map<string, Slot>()
  let owned = 0

  add(options.targets)
  const timer = setInterval(tick, tickMs)

  function add(targets: readonly CheckTarget[]): void {
    // Phases are fixed on the wall clock (stable across restarts and instances, so a check
    // handed over keeps its phase); scheduling runs on `now`.
    const start = now()
    const wall = Date.now()
    for (const target of targets) {
      const known = slots.get(target.id)
      if (known) {
        if (known.removed) owned++
        known.removed = false
        known.settled?.()
        known.settled = undefined
        continue
      }
      const due = firstDue(target.id, target.check.interval, start, wall)
      const slot: Slot = { target, due, removed: false, running: false }
      slots.set(target.id, slot)
      owned++
      wheel.place(slot)
    }
  }

  function remove(ids: Iterable<string>): Promise<void> {
    const waits: Promise<void>[] = []
    for (const id of ids) {
      const slot = slots.get(id)
      if (!slot || slot.removed) continue
      slot.removed = true
      owned--
      if (slot.running) waits.push(new Promise((resolve) => (slot.settled = resolve)))
    }
    return Promise.all(waits).then(() => {})
  }

  /** A removed slot leaves for good (unless added back meanwhile: then it stays). */
  function drop(slot: Slot): boolean {
    if (!slot.removed) return false
    if (slots.get(slot.target.id) === slot) slots.delete(slot.target.id)
    return true
  }

  function tick(): void {
    const at = now()
    wheel.advance(at, (slot) => {
      if (!drop(slot)) ready.push(slot)
    })
    pump(at)
    if (results.length > 0) {
      const batch = results
      results = []
      options.onResults(batch)
    }
  }

  function pump(at: number): void {
    while (running < options.maxConcurrency && ready.length > 0 && !stopped) {
      const slot = ready.take()!
      if (!drop(slot)) launch(slot, at)
    }
    ready.compact()
  }

  function launch(slot: Slot, at: number): void {
    running++
    slot.running = true
    stats.started++
    const lag = at - slot.due
    options.onLate?.(Math.max(0, lag))
    if (lag > LATE_MS) stats.late++
    if (lag > stats.maxLagMs) stats.maxLagMs = lag
    options.prober.run(slot.target).then((result) => complete(slot, result))
  }

  function complete(slot: Slot, result: ProbeResult): void {
    running--
    slot.running = false
    stats.completed++
    if (stopped || slot.removed) {
      slot.settled?.()
      slot.settled = undefined
      if (stopped) {
        if (running === 0) onIdle?.()
        return
      }
      drop(slot)
      pump(now())
      return
    }
    const at = now()
    results.push({ target: slot.target, result, at: Date.now() })
    const interval = slot.target.check.interval
    // A run that outlasted its interval is followed by the next one at once, not a slot later.
    slot.due = Math.max(slot.due + interval, at)
    wheel.place(slot)
    pump(at)
  }

  return {
    stats: () => ({
      targets: owned,
      running,
      queued: ready.length,
      ...stats,
    }),
    add,
    remove,
    stop() {
      stopped = true
      clearInterval(timer)
      if (running === 0) return Promise.resolve()
      return new Promise((resolve) => {
        onIdle = resolve
      })
    },
  }
}
