// Storage health: the export is the cause, its GFS volumes and services are reported under it;
// rows are written on change only, survive a restart unchanged, and reach the policies' view.
import { describe, expect, it } from 'vitest'
import { Config, createInventory } from '../inventory/index.ts'
import type { LiveFacts } from '../plugin/index.ts'
import { healthView } from '../policy/views.ts'
import { planTargets } from '../probe/index.ts'
import { createHealthEngine } from './engine.ts'
import type { HealthRow } from './rows.ts'
import { storageVerdicts } from './storage-health.ts'

const nodes = ['node1', 'node2', 'node3']
const inventory = createInventory(
  Config.parse({
    nodes: [
      {
        name: 'director',
        address: '127.0.1.10',
        checks: [{ name: 'exports', kind: 'lab.exports', rise: 1, fall: 1 }],
      },
      { name: 'storage1', address: '127.0.1.20' },
      ...nodes.map((name, i) => ({
        name,
        address: `127.0.1.${i + 1}`,
        checks: [{ name: 'gfs', kind: 'lab.mounts', rise: 1, fall: 1 }],
      })),
    ],
    services: [
      { name: 'db', cluster: { rgmanager: { service: 'db' } }, storage: ['gfs-data'] },
      { name: 'web' },
    ],
    storage: [
      {
        name: 'data-export',
        kind: 'gnbd',
        server: 'storage1',
        export: 'data',
        device: '/dev/sdb1',
      },
      {
        name: 'gfs-data',
        kind: 'gfs',
        on: 'data-export',
        mountpoint: '/srv/data',
        mounted_by: nodes,
      },
    ],
    fencing: {
      devices: [
        { name: 'gnbd', agent: 'fence_gnbd', kind: 'storage', options: { servers: 'storage1' } },
      ],
      nodes: nodes.map((node) => ({ node, levels: [[{ device: 'gnbd', plug: node }]] })),
    },
  }),
)
const targets = planTargets(inventory)
const exported = (state: 'exported' | 'unreachable'): LiveFacts => ({
  exports: { 'data-export': { state, server: 'storage1' } },
})
const mount = (node: string, state: 'mounted' | 'withdrawn', imp = 'imported'): LiveFacts => ({
  mounts: { [`gfs-data/${node}`]: { state, import: imp as 'imported' } },
})

function engine(restore?: HealthRow[]) {
  const e = createHealthEngine({ inventory, targets, restore })
  let now = 1_000_000
  return (results: Record<string, LiveFacts>) => {
    now += 1000
    const batch = Object.entries(results).map(([id, facts]) => ({
      target: { id },
      result: { status: 'ok' as const, latencyMs: 1, detail: 'ok', facts },
      at: now,
    }))
    return e.observe(batch, now).rows.filter((r) => r.kind === 'storage')
  }
}
const healthy = {
  'node/director/exports': exported('exported'),
  'node/node1/gfs': mount('node1', 'mounted'),
  'node/node2/gfs': mount('node2', 'mounted'),
  'node/node3/gfs': mount('node3', 'mounted'),
}

describe('storage health', () => {
  it('one withdrawn node degrades the volume; it is no longer a node its services can use', () => {
    const round = engine()
    const first = round(healthy)
    expect(first.map((r) => [r.target, r.state])).toEqual([
      ['storage/data-export', 'up'],
      ['storage/gfs-data', 'up'],
    ])
    expect(round(healthy)).toEqual([]) // a steady world writes nothing
    const withdrawn = round({ 'node/node3/gfs': mount('node3', 'withdrawn') })
    expect(withdrawn).toHaveLength(1)
    expect(withdrawn[0]).toMatchObject({
      target: 'storage/gfs-data',
      state: 'degraded',
      detail: { usable: ['node1', 'node2'], services: ['db'] },
    })
    const view = healthView([...first, ...withdrawn], inventory)
    expect(view.storage).toEqual({ 'data-export': 'up', 'gfs-data': 'degraded' })
    expect(view.mounts['gfs-data']).toEqual({
      node1: 'mounted',
      node2: 'mounted',
      node3: 'withdrawn',
    })
  })

  it('a dead export is the cause: the volume is down under it, with no usable node', () => {
    const round = engine()
    round(healthy)
    const rows = round({
      'node/director/exports': exported('unreachable'),
      // The mounts still look mounted; their devices lost the server.
      'node/node1/gfs': mount('node1', 'mounted', 'disconnected'),
    })
    const byTarget = Object.fromEntries(rows.map((r) => [r.target, r]))
    expect(byTarget['storage/data-export']).toMatchObject({
      state: 'unreachable',
      detail: { services: ['db'], export: 'unreachable' },
    })
    expect(byTarget['storage/gfs-data']).toMatchObject({
      state: 'down',
      detail: { cause: 'data-export', usable: [], services: ['db'] },
    })
  })

  it('labels the failures of the export and the mounts on it with the export: one cause', () => {
    const e = createHealthEngine({ inventory, targets })
    const batch = (status: 'ok' | 'critical', at: number, facts: Record<string, LiveFacts>) =>
      e.observe(
        Object.entries(facts).map(([id, f]) => ({
          target: { id },
          result: { status, latencyMs: 1, detail: status, facts: f },
          at,
        })),
        at,
      ).events
    batch('ok', 1_000, healthy)
    const events = batch('critical', 2_000, {
      'node/director/exports': exported('unreachable'),
      'node/node1/gfs': mount('node1', 'mounted', 'disconnected'),
    })
    const failed = events.filter((ev) => ev.type === 'check.failed')
    expect(failed.map((ev) => [ev.subject, ev.labels.storage])).toEqual([
      ['node/director/exports', 'data-export'],
      ['node/node1/gfs', 'data-export'],
    ])
  })

  it('a restarted engine rewrites nothing for the same facts', () => {
    const round = engine()
    const stored = round(healthy)
    const again = engine(stored)
    expect(again(healthy)).toEqual([])
    expect(again({ 'node/node2/gfs': mount('node2', 'withdrawn') })).toHaveLength(1)
  })
})

// A GFS volume on the nodes' own device (`device:`, SAN or clustered LVM) has no import to
// attach: its mounts report import `local`, and a node with it mounted can run its services.
it('counts a mounted volume on a local device as usable (regression: local imports were never usable)', () => {
  const san = createInventory(
    Config.parse({
      nodes: nodes.map((name, i) => ({ name, address: `127.0.1.${i + 1}` })),
      services: [{ name: 'db', storage: ['gfs-san'] }],
      storage: [
        {
          name: 'gfs-san',
          kind: 'gfs',
          device: '/dev/mapper/vg-san',
          mountpoint: '/srv/san',
          mounted_by: ['node1', 'node2'],
        },
      ],
    }),
  )
  const verdicts = storageVerdicts(san, {
    exports: new Map(),
    mounts: new Map([
      ['gfs-san/node1', { state: 'mounted', import: 'local' }],
      ['gfs-san/node2', { state: 'withdrawn', import: 'local' }],
    ]),
  })
  expect(verdicts.get('gfs-san')).toMatchObject({
    state: 'degraded',
    detail: { usable: ['node1'] },
  })
})
