// The check scheduler: a timing wheel of due checks, spread over each interval, under one concurrency cap.
import type { Prober } from './prober.ts'
import type { ProbeResult } from './result.ts'
import type { CheckTarget } from './targets.ts'

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
  /** Stops starting checks and resolves once the ones in flight have settled. */
  stop(): Promise<void>
}

interface Slot {
  target: CheckTarget
  due: number
}

const LATE_MS = 100

/**
 * Starts the scheduler. Each check runs at a fixed phase of its interval on the wall clock
 * (a hash of its id), so 10,000 checks with one interval spread evenly instead of firing
 * together, and keep their phase across restarts. A check is back on the wheel only after its
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
  const wheel = new Map<number, Slot[]>()
  const ready: Slot[] = []
  let readyHead = 0
  let cursor = Math.floor(now() / tickMs)
  let running = 0
  let results: CheckResult[] = []
  let stopped = false
  let onIdle: (() => void) | undefined
  const stats = { started: 0, completed: 0, late: 0, maxLagMs: 0 }

  // Phases are fixed on the wall clock (stable across restarts); scheduling runs on `now`.
  const start = now()
  const wall = Date.now()
  for (const target of options.targets) {
    const interval = target.check.interval
    const phase = Math.floor((spread(target.id) / 2 ** 32) * interval)
    place({ target, due: start + ((((phase - wall) % interval) + interval) % interval) })
  }
  const timer = setInterval(tick, tickMs)

  function place(slot: Slot): void {
    const bucket = Math.max(Math.floor(slot.due / tickMs), cursor + 1)
    const list = wheel.get(bucket)
    if (list) list.push(slot)
    else wheel.set(bucket, [slot])
  }

  function tick(): void {
    const at = now()
    const to = Math.floor(at / tickMs)
    for (let bucket = cursor + 1; bucket <= to; bucket++) {
      const list = wheel.get(bucket)
      if (!list) continue
      wheel.delete(bucket)
      for (const slot of list) ready.push(slot)
    }
    cursor = to
    pump(at)
    if (results.length > 0) {
      const batch = results
      results = []
      options.onResults(batch)
    }
  }

  function pump(at: number): void {
    while (running < options.maxConcurrency && readyHead < ready.length && !stopped) {
      const slot = ready[readyHead]!
      ready[readyHead++] = undefined as unknown as Slot
      launch(slot, at)
    }
    if (readyHead === ready.length) {
      ready.length = 0
      readyHead = 0
    } else if (readyHead > 4096) {
      ready.splice(0, readyHead)
      readyHead = 0
    }
  }

  function launch(slot: Slot, at: number): void {
    running++
    stats.started++
    const lag = at - slot.due
    if (lag > LATE_MS) stats.late++
    if (lag > stats.maxLagMs) stats.maxLagMs = lag
    options.prober.run(slot.target).then((result) => complete(slot, result))
  }

  function complete(slot: Slot, result: ProbeResult): void {
    running--
    stats.completed++
    if (stopped) {
      if (running === 0) onIdle?.()
      return
    }
    const at = now()
    results.push({ target: slot.target, result, at: Date.now() })
    const interval = slot.target.check.interval
    // A run that outlasted its interval is followed by the next one at once, not a slot later.
    slot.due = Math.max(slot.due + interval, at)
    place(slot)
    pump(at)
  }

  return {
    stats: () => ({
      targets: options.targets.length,
      running,
      queued: ready.length - readyHead,
      ...stats,
    }),
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

/** FNV-1a: a cheap, stable hash so a check keeps its place in the interval across restarts. */
function spread(id: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
