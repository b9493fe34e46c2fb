// The registry renders what Prometheus parses: types, escaped labels, cumulative buckets.
import { describe, expect, it } from 'vitest'
import { createMetrics, tandemMetrics } from './index.ts'

describe('metrics registry', () => {
  it('renders counters and gauges with escaped label values', async () => {
    const metrics = createMetrics()
    const events = metrics.counter('tandem_events_total', 'Events written', ['type'])
    events.inc({ type: 'node.down' })
    events.inc({ type: 'node.down' }, 2)
    metrics.gauge('tandem_queue', 'Queue "depth"\nnow', ['q']).set({ q: 'a"b\\c' }, 4)
    const text = await metrics.render()
    expect(text).toContain('# TYPE tandem_events_total counter\n')
    expect(text).toContain('tandem_events_total{type="node.down"} 3\n')
    expect(text).toContain('# HELP tandem_queue Queue "depth"\\nnow\n')
    expect(text).toContain('tandem_queue{q="a\\"b\\\\c"} 4\n')
  })

  it('keeps histogram buckets cumulative with +Inf, sum and count', async () => {
    const metrics = createMetrics()
    const h = metrics.histogram('lat_seconds', 'Latency', {
      labelNames: ['kind'],
      buckets: [0.1, 1],
    })
    h.observe({ kind: 'tcp' }, 0.05)
    h.observe({ kind: 'tcp' }, 0.5)
    h.observe({ kind: 'tcp' }, 3)
    const text = await metrics.render()
    expect(text).toContain('lat_seconds_bucket{kind="tcp",le="0.1"} 1\n')
    expect(text).toContain('lat_seconds_bucket{kind="tcp",le="1"} 2\n')
    expect(text).toContain('lat_seconds_bucket{kind="tcp",le="+Inf"} 3\n')
    expect(text).toContain('lat_seconds_sum{kind="tcp"} 3.55\n')
    expect(text).toContain('lat_seconds_count{kind="tcp"} 3\n')
  })

  it('runs scrape-time collectors before rendering and lets gauges forget stale series', async () => {
    const metrics = createMetrics()
    const gauge = metrics.gauge('targets', 'Targets by state', ['state'])
    let states: Record<string, number> = { up: 3, down: 1 }
    metrics.onScrape(() => {
      gauge.reset()
      for (const [state, n] of Object.entries(states)) gauge.set({ state }, n)
    })
    expect(await metrics.render()).toContain('targets{state="down"} 1\n')
    states = { up: 4 }
    const text = await metrics.render()
    expect(text).toContain('targets{state="up"} 4\n')
    expect(text).not.toContain('state="down"')
  })

  it('returns the same metric for the same name and refuses a type clash or wrong labels', () => {
    const metrics = createMetrics()
    const a = tandemMetrics(metrics)
    const b = tandemMetrics(metrics)
    a.actions.inc({ uses: 'lvs.drain', outcome: 'succeeded' })
    b.actions.inc({ uses: 'lvs.drain', outcome: 'succeeded' })
    expect(() => metrics.gauge('tandem_actions_total', 'x')).toThrow(/already a counter/)
    expect(() => a.events.inc({ kind: 'x' })).toThrow(/takes labels \[type\]/)
    expect(() => a.events.inc({ type: 'x' }, -1)).toThrow(/cannot decrease/)
  })
})
