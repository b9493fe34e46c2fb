// Liveness, readiness, the OpenAPI document and the Prometheus /metrics.
import { z } from 'zod'
import { METRICS_CONTENT_TYPE } from '../../metrics/index.ts'
import { HttpError } from '../http-error.ts'
import { endpoint } from '../route.ts'

export const healthz = endpoint({
  summary: 'Liveness: the process answers (the store is not consulted)',
  tag: 'meta',
  response: z.object({ status: z.literal('ok') }),
  handler: ({ c }) => c.json({ status: 'ok' as const }),
})

export const readyz = endpoint({
  summary: 'Readiness: the store answers a query',
  tag: 'meta',
  response: z.object({ status: z.literal('ready') }),
  handler: async ({ c, api }) => {
    try {
      await api.store.client.execute('SELECT 1')
    } catch (cause) {
      throw new HttpError(503, 'STORE_UNAVAILABLE', '[api] store does not answer', { cause })
    }
    return c.json({ status: 'ready' as const })
  },
})

export const metrics = endpoint({
  summary: 'Prometheus metrics (text format 0.0.4)',
  description:
    'In-process counters and histograms (probe latency, events, actions by outcome, guard blocks, scheduler lag, DB latency, HTTP) plus gauges read from the store at scrape time (targets by state, fence states, outbox depth, runs, approvals, silences, policy files).',
  tag: 'meta',
  produces: 'text/plain',
  handler: async ({ c, api }) =>
    c.body(await api.metrics.render(), 200, { 'Content-Type': METRICS_CONTENT_TYPE }),
})
