// Small constructors for probe results, so every probe kind words its outcomes the same way.
import type { ProbeResult, ProbeStatus } from '../plugin/index.ts'

export type { ProbeResult, ProbeStatus }

/** A result with its latency measured from `startedAt` (a performance.now() reading). */
export function result(
  status: ProbeStatus,
  startedAt: number,
  detail: string,
  data?: Record<string, unknown>,
): ProbeResult {
  const latencyMs = elapsedMs(startedAt)
  return data ? { status, latencyMs, detail, data } : { status, latencyMs, detail }
}

/** Milliseconds since a performance.now() reading, to 0.01 ms. */
export function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 100) / 100
}

/** A stall shorter than this is ordinary scheduling noise, not worth a word in the detail. */
const NOTABLE_STALL_MS = 100

/**
 * The timeout result every kind returns when its deadline passes; `stalledMs` is time tandem's own
 * event loop lost meanwhile, which was not held against the target (see deadline.ts).
 */
export function timedOut(
  startedAt: number,
  timeoutMs: number,
  phase: string,
  stalledMs = 0,
): ProbeResult {
  const stalled =
    stalledMs >= NOTABLE_STALL_MS ? `; tandem stalled ${stalledMs} ms, not counted` : ''
  return result('timeout', startedAt, `timeout after ${timeoutMs} ms (${phase}${stalled})`)
}

/** `connect ECONNREFUSED`, `read ECONNRESET`, ...: the system's own words for a socket failure. */
export function socketFailure(startedAt: number, phase: string, error: Error): ProbeResult {
  const code = (error as NodeJS.ErrnoException).code
  return result('critical', startedAt, `${phase} ${code ?? error.message}`)
}

/** True when a status counts as passing for rise/fall (a Nagios WARNING still serves). */
export function isPassing(status: ProbeStatus): boolean {
  return status === 'ok' || status === 'warning'
}
