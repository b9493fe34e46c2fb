import { describe, expect, it } from 'vitest'
import { Config, createInventory } from '../inventory/index.ts'
import type { LiveFacts } from '../plugin/index.ts'
import { planTargets } from '../probe/index.ts'
import { createHealthEngine, type HealthEngine } from './engine.ts'
import type { HealthRow } from './rows.ts'

const inventory = createInventory(
  Config.parse({
    nodes: [
      {
        name: 'director',
        address: '127.0.1.10',
        checks: [
          { name: 'ipvs', kind: 'lab.table', rise: 1, fall: 1 },
          { name: 'members', kind: 'lab.membership', rise: 1, fall: 1 },
          { name: 'members2', kind: 'lab.membership', rise: 1, fall: 1 },
        ],
      },
      ...['node1', 'node2'].map((name, i) => ({ name, address: `127.0.1.${i + 1}` })),
    ],
    services: [
      {
        name: 'web',
        lvs: { director: 'director', address: '127.0.2.1', port: 80 },
        real_servers: ['node1', 'node2'].map((node) => ({ node, port: 8080 })),
        checks: [{ name: 'http', kind: 'http', rise: 1, fall: 1 }],
      },
      { name: 'db', cluster: { rgmanager: { service: 'db' }, preferred: ['node1', 'node2'] } },
    ],
    vms: [{ name: 'guest1', host: 'node1', memory_mib: 512 }],
  }),
)
const targets = planTargets(inventory)

const lvs = (w1: number, w2: number, active = 0): LiveFacts => ({
  lvs: {
    web: {
      present: true,
      servers: { node2: { weight: w2, active, inactive: active }, node1: { weight: w1 } },
    },
  },
})
const placed = (owner: string | null, state = 'started'): LiveFacts => ({
  placement: { db: { owner, state } },
})
const guest = (hosts: string[], state = 'running'): LiveFacts => ({
  vms: { guest1: { host: hosts.length === 1 ? hosts[0]! : null, hosts, state } },
})

class Feed {
  now = 1_000_000
  constructor(readonly engine: HealthEngine) {}
  round(results: Record<string, LiveFacts | 'ok' | 'timeout'>): HealthRow[] {
    this.now += 1000
    const batch = Object.entries(results).map(([id, r]) => ({
      target: { id },
      result:
        typeof r === 'string'
          ? { status: r, latencyMs: 1, detail: r }
          : { status: 'ok' as const, latencyMs: 1, detail: 'ok', facts: r },
      at: this.now,
    }))
    return this.engine.observe(batch, this.now).rows
  }
  /** Only the rows of live facts (services and VMs), not the checks' own. */
  facts(results: Parameters<Feed['round']>[0]): HealthRow[] {
    return this.round(results).filter((r) => r.kind === 'service' || r.kind === 'vm')
  }
}

const ok = (facts: LiveFacts) => ({ status: 'ok' as const, latencyMs: 1, detail: 'ok', facts })

const feed = (restore?: HealthRow[]) =>
  new Feed(createHealthEngine({ inventory, targets, restore }))
const row = (rows: HealthRow[], target: string) => rows.find((r) => r.target === target)

describe('live facts from plugin probes', () => {
  it('writes weights, owner and guest host on change only: a steady fleet writes nothing', () => {
    const f = feed()
    const first = f.round({
      'node/director/ipvs': lvs(5, 5, 7),
      'node/director/members': placed('node1'),
      'node/director/members2': guest(['node1']),
    })
    expect(row(first, 'service/web')?.detail).toEqual({
      inIpvs: true,
      realServers: { node1: { weight: 5 }, node2: { weight: 5 } },
    })
    expect(row(first, 'service/db')).toMatchObject({
      state: 'unknown',
      detail: { owner: 'node1', ownerState: 'started' },
    })
    expect(row(first, 'vm/guest1')).toMatchObject({
      kind: 'vm',
      state: 'up',
      detail: { host: 'node1', hosts: ['node1'], domain: 'running' },
    })
    // Connection counts move every interval; they are never a reason to write.
    for (let i = 0; i < 5; i++)
      expect(
        f.round({
          'node/director/ipvs': lvs(5, 5, 7 + i),
          'node/director/members': placed('node1'),
          'node/director/members2': guest(['node1']),
        }),
      ).toEqual([])
    const drained = f.round({ 'node/director/ipvs': lvs(5, 0, 3) })
    expect(drained.map((r) => r.target)).toEqual(['service/web'])
    expect(row(drained, 'service/web')?.detail?.realServers).toEqual({
      node1: { weight: 5 },
      node2: { weight: 0 },
    })
  })

  it('keeps the last known facts while the probe fails, and after a restart writes nothing', () => {
    const f = feed()
    const stored = new Map<string, HealthRow>()
    const keep = (rows: HealthRow[]) => {
      for (const r of rows) stored.set(r.target, r)
      return rows
    }
    keep(f.round({ 'node/director/members': placed('node2'), 'node/director/ipvs': lvs(5, 5) }))
    keep(f.round({ 'node/director/members': 'timeout' }))
    expect([...stored.values()].filter((r) => r.kind === 'service')).toHaveLength(2)
    expect(stored.get('service/db')?.detail).toMatchObject({ owner: 'node2' })
    const again = feed([...stored.values()])
    expect(
      again.facts({ 'node/director/members': placed('node2'), 'node/director/ipvs': lvs(5, 5) }),
    ).toEqual([])
    const moved = again.facts({ 'node/director/members': placed('node1') })
    expect(row(moved, 'service/db')?.detail).toMatchObject({ owner: 'node1' })
  })

  it('keeps the live facts beside the health counts when the service verdict changes', () => {
    const f = feed()
    f.round({ 'node/director/ipvs': lvs(5, 5) })
    const up = f.round({ 'web/node1/http': 'ok', 'web/node2/http': 'ok' })
    expect(row(up, 'service/web')).toMatchObject({
      state: 'up',
      detail: { healthy: 2, total: 2, inIpvs: true, realServers: { node2: { weight: 5 } } },
    })
    const drained = f.round({ 'node/director/ipvs': lvs(5, 0) })
    expect(row(drained, 'service/web')).toMatchObject({
      state: 'up',
      detail: { healthy: 2, total: 2, realServers: { node2: { weight: 0 } } },
    })
  })

  it('follows a migrating guest and calls one running twice degraded', () => {
    const f = feed()
    f.round({ 'node/director/members': guest(['node1']) })
    const moved = f.round({ 'node/director/members': guest(['node2']) })
    expect(row(moved, 'vm/guest1')).toMatchObject({
      state: 'up',
      detail: { host: 'node2', lastHost: 'node2' },
    })
    const twice = f.round({ 'node/director/members': guest(['node2', 'node1']) })
    expect(row(twice, 'vm/guest1')).toMatchObject({
      state: 'degraded',
      detail: { host: null, hosts: ['node1', 'node2'], lastHost: 'node2' },
    })
    const gone = f.round({ 'node/director/members': guest([], 'shutoff') })
    expect(row(gone, 'vm/guest1')).toMatchObject({ state: 'down', detail: { host: null } })
  })

  it('keeps the last host of a guest whose host stops answering (policies recover it from there)', () => {
    const f = feed()
    f.round({ 'node/director/members': guest(['node2']) })
    const dark = f.round({ 'node/director/members': guest([], 'unreachable') })
    expect(row(dark, 'vm/guest1')).toMatchObject({
      state: 'unreachable',
      detail: { host: null, hosts: [], domain: 'unreachable', lastHost: 'node2' },
    })
    // A restart (the store's rows restored) keeps it too: nothing to rewrite.
    const restarted = feed(dark)
    expect(restarted.facts({ 'node/director/members': guest([], 'unreachable') })).toEqual([])
  })

  it('lets the first source by name win, so two that disagree do not rewrite every interval', () => {
    const f = feed()
    f.round({ 'node/director/members': placed('node1'), 'node/director/members2': placed('node2') })
    for (let i = 0; i < 3; i++)
      expect(
        f.round({
          'node/director/members2': placed('node2'),
          'node/director/members': placed('node1'),
        }),
      ).toEqual([])
    // The first source fails: the other one's word is the best there is.
    const failed = f.facts({ 'node/director/members': 'timeout' })
    expect(row(failed, 'service/db')?.detail).toMatchObject({ owner: 'node2' })
  })

  it('rewrites, once, what the store says differently after a resync; spares what changed while the rows were read', () => {
    const f = feed()
    const written = f.round({
      'node/director/members': { ...placed('node1'), ...guest(['node1']) },
    })
    // Another instance recorded these rows meanwhile: db on node2, guest1 down (its vm.down
    // was that instance's to raise).
    const stored = written.map((r) =>
      r.target === 'service/db'
        ? { ...r, detail: { ...r.detail, owner: 'node2' } }
        : r.target === 'vm/guest1'
          ? { ...r, state: 'down' as const, detail: { ...r.detail, host: null, hosts: [] } }
          : r,
    )
    f.engine.resyncFacts(stored, f.engine.factsVersion)
    const now = { 'node/director/members': { ...placed('node1'), ...guest(['node1']) } }
    const out = f.engine.observe(
      [
        {
          target: { id: 'node/director/members' },
          result: ok(now['node/director/members']),
          at: f.now + 1,
        },
      ],
      f.now + 1,
    )
    expect(row(out.rows, 'service/db')?.detail).toMatchObject({ owner: 'node1' })
    expect(row(out.rows, 'vm/guest1')).toMatchObject({ state: 'up', detail: { host: 'node1' } })
    expect(out.events.map((e) => `${e.type} ${e.subject}`)).toEqual(['vm.up guest1'])
    // The second time, with nothing different in the store, there is nothing to write.
    f.engine.resyncFacts(
      [row(out.rows, 'service/db')!, row(out.rows, 'vm/guest1')!],
      f.engine.factsVersion,
    )
    expect(f.facts(now)).toEqual([])

    // db moves while the rows are being read: the rows read are older than what was learned.
    const since = f.engine.factsVersion
    const moved = f.facts({ 'node/director/members': { ...placed('node3'), ...guest(['node1']) } })
    expect(row(moved, 'service/db')?.detail).toMatchObject({ owner: 'node3' })
    f.engine.resyncFacts([row(out.rows, 'service/db')!, row(out.rows, 'vm/guest1')!], since)
    expect(
      f.facts({ 'node/director/members': { ...placed('node3'), ...guest(['node1']) } }),
    ).toEqual([])
  })

  it('ignores facts about names the inventory does not have', () => {
    const f = feed()
    const rows = f.facts({
      'node/director/members': { placement: { ghost: { owner: 'node1', state: 'started' } } },
    })
    expect(rows).toEqual([])
  })
})
