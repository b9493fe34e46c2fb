// The delivery worker's timing: one pass at a time, every tick, and right away when new notices wait.
import type { Logger } from '../plugin/index.ts'
import type { DeliveryReport } from './deliver.ts'

export interface Worker {
  /** Waits for a pass in progress, then runs a fresh one (new notices are never missed). */
  deliverDue(): Promise<DeliveryReport>
  start(): void
  /** Stops the timer and waits for the pass in progress. */
  stop(): Promise<void>
  /** New notices wait: run a pass now rather than at the next tick (when started). */
  kick(): void
}

/**
 * Runs `pass` every `tickMs` once started. The timer does not keep the process alive: the
 * daemon's server does.
 */
export function createWorker(
  pass: () => Promise<DeliveryReport>,
  tickMs: number,
  log: Logger,
): Worker {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<DeliveryReport> | undefined
  let started = false

  async function deliverDue(): Promise<DeliveryReport> {
    while (running) await running.catch(() => undefined)
    running = pass().finally(() => {
      running = undefined
    })
    return running
  }
  const schedule = (delayMs: number) => {
    if (!started) return
    clearTimeout(timer)
    timer = setTimeout(function notifyTick() {
      void tick()
    }, delayMs)
    timer.unref?.()
  }
  let waiting = false
  const tick = async () => {
    // Kicks during a pass coalesce into one fresh pass after it, and none once stopped (the
    // store may be closed by then).
    if (waiting) return
    waiting = true
    while (running) await running.catch(() => undefined)
    waiting = false
    if (!started) return
    try {
      await deliverDue()
    } catch (error) {
      log.error('[notify] delivery pass failed', { error: (error as Error).message })
    }
    schedule(tickMs)
  }
  return {
    deliverDue,
    start() {
      if (started) return
      started = true
      schedule(0)
    },
    async stop() {
      started = false
      clearTimeout(timer)
      await running?.catch(() => undefined)
    },
    kick: () => schedule(0),
  }
}
