// The metrics every area of tandem shares, declared once so names and labels never drift.
import type { Counter, Histogram, Metrics } from './registry.ts'

/** Handles the probe, health, act and notify areas increment in process. */
export interface TandemMetrics {
  /** `kind`: tcp, http, exec, lvs.table ... Observed in seconds by the probe scheduler. */
  probeLatency: Histogram
  /** Events handled by the leader (every writer: health, API, ingest, policies), by `type`. */
  events: Counter
  /** Finished steps by `uses` (lvs.drain) and `outcome` (succeeded, failed, unknown, skipped). */
  actions: Counter
  /** Decisions a guard refused, by `guard` (cooldown, quorum, blind, approval ...). */
  guardBlocks: Counter
  /** How late a scheduled job started, in seconds, by `job` (probe, tick, outbox). */
  schedulerLag: Histogram
  /** Store round trips in seconds, by `op` (read, write). */
  dbLatency: Histogram
  /** HTTP requests served, by `route` (the route pattern) and `status` class (2xx, 4xx ...). */
  httpRequests: Counter
}

/**
 * Declares (or returns, when already declared) the shared tandem metrics on a registry.
 *
 * @example
 * const m = tandemMetrics(metrics)
 * m.actions.inc({ uses: 'lvs.drain', outcome: 'succeeded' })
 * m.probeLatency.observe({ kind: 'tcp' }, 0.004)
 */
export function tandemMetrics(metrics: Metrics): TandemMetrics {
  return {
    probeLatency: metrics.histogram('tandem_probe_latency_seconds', 'Probe latency', {
      labelNames: ['kind'],
    }),
    events: metrics.counter('tandem_events_total', 'Events handled by the leader', ['type']),
    actions: metrics.counter('tandem_actions_total', 'Steps finished by outcome', [
      'uses',
      'outcome',
    ]),
    guardBlocks: metrics.counter('tandem_guard_blocks_total', 'Decisions a guard refused', [
      'guard',
    ]),
    schedulerLag: metrics.histogram('tandem_scheduler_lag_seconds', 'Late start of a job', {
      labelNames: ['job'],
    }),
    dbLatency: metrics.histogram('tandem_db_latency_seconds', 'Store round-trip time', {
      labelNames: ['op'],
    }),
    httpRequests: metrics.counter('tandem_http_requests_total', 'HTTP requests served', [
      'route',
      'status',
    ]),
  }
}
