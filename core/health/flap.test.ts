import { describe, expect, it } from 'vitest'
import type { TandemEvent } from '../events/index.ts'
import { Config, createInventory } from '../inventory/index.ts'
import { planTargets } from '../probe/index.ts'
import { createHealthEngine } from './engine.ts'
import { FlapHistory } from './flap.ts'
import type { HealthRow } from './rows.ts'

describe('flap history', () => {
  it('stores as a 0/1 string and comes back with the same percent and verdict', () => {
    const live = new FlapHistory(10, 40, 20)
    const results = [1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1]
    for (const r of results) live.push(r === 1)
    expect(live.serialize()).toBe('0100110101')
    const back = new FlapHistory(10, 40, 20)
    back.restore(live.serialize())
    back.flapping = live.flapping
    expect(back.percent()).toBe(live.percent())
    expect(back.percent()).toBeGreaterThan(40)
    // Both go on identically: a run of passes ends the flap on the same result.
    const verdicts = (h: FlapHistory) => Array.from({ length: 10 }, () => h.push(true))
    expect(verdicts(back)).toEqual(verdicts(live))
  })

  it('is settled when its window holds no change, and keeps only the newest window', () => {
    const h = new FlapHistory(4, 50, 25)
    expect(h.settled).toBe(true)
    h.push(true)
    h.push(true)
    expect(h.settled).toBe(true)
    h.push(false)
    expect(h.settled).toBe(false)
    for (let i = 0; i < 3; i++) h.push(false)
    expect([h.settled, h.serialize(), h.percent()]).toEqual([true, '0000', 0])
    h.restore('1111110')
    expect([h.serialize(), h.settled]).toEqual(['1110', false])
    h.restore('garbage')
    expect([h.serialize(), h.percent()]).toEqual(['', 0])
  })
})

describe('flap detection across engines', () => {
  const inventory = createInventory(
    Config.parse({
      monitor: { flap: { window: 10, high: 40, low: 20 } },
      nodes: [
        {
          name: 'node1',
          address: '127.0.1.1',
          checks: [{ name: 'ssh', kind: 'tcp', port: 22, rise: 1, fall: 1 }],
        },
      ],
    }),
  )
  const targets = planTargets(inventory)
  const pattern = [1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, ...Array(14).fill(1)]

  /** Feeds the pattern; `fresh` rebuilds the engine from the stored rows before every result. */
  function run(fresh: boolean): { events: TandemEvent[]; writes: number[] } {
    const rows = new Map<string, HealthRow>()
    let engine = createHealthEngine({ inventory, targets })
    const events: TandemEvent[] = []
    const writes: number[] = []
    pattern.forEach((pass, i) => {
      if (fresh) engine = createHealthEngine({ inventory, targets, restore: [...rows.values()] })
      const at = 1_000_000 + i * 1000
      const result = pass
        ? { status: 'ok' as const, latencyMs: 1, detail: '' }
        : { status: 'critical' as const, latencyMs: 1, detail: 'refused' }
      const changes = engine.observe([{ target: { id: 'node/node1/ssh' }, result, at }], at)
      for (const row of changes.rows) rows.set(row.target, row)
      events.push(...changes.events)
      writes.push(changes.rows.length)
    })
    return { events, writes }
  }

  it('an engine rebuilt from the store before every result (serverless) says what one live engine says', () => {
    const live = run(false)
    const fresh = run(true)
    expect(fresh.events).toEqual(live.events)
    expect(live.events.map((e) => e.type)).toEqual([
      'check.failed',
      'check.recovered',
      'check.failed',
      'flapping.start', // while down: the next changes are held ...
      'flapping.stop',
      'check.recovered', // ... and the state it settled in is announced once
    ])
    // Settled at the end (ten passes in a row): nothing more is written.
    expect(fresh.writes.slice(-4)).toEqual([0, 0, 0, 0])
  })
})
