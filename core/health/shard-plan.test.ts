import { once } from 'node:events'
import { createServer } from 'node:net'
import { expect, it } from 'vitest'
import type { TandemEvent } from '../events/index.ts'
import { Config, createInventory } from '../inventory/index.ts'
import { planTargets } from '../probe/index.ts'
import { quietLog } from '../probe/test-support.ts'
import { ownerOf } from '../runtime/index.ts'
import { healthStates, openStore } from '../store/index.ts'
import { startMonitoring } from './monitoring.ts'
import { CLUSTER_WIDE, planShards } from './shard-plan.ts'

function site(port = 22) {
  const nodes = Array.from({ length: 40 }, (_, i) => ({
    name: `n${i}`,
    address: `127.0.3.${i + 1}`,
    checks: [{ name: 'ssh', kind: 'tcp', port, interval: '1s' }],
  }))
  nodes.push({
    name: 'director',
    address: '127.0.3.100',
    checks: [{ name: 'members', kind: 'lab.membership', port, interval: '1s' }],
  })
  const inventory = createInventory(
    Config.parse({
      nodes,
      services: [
        {
          name: 'web',
          real_servers: ['n1', 'n2'].map((node) => ({ node, port: 8080 })),
          checks: [{ name: 'http', kind: 'http' }],
        },
      ],
    }),
  )
  return { inventory, targets: planTargets(inventory) }
}

const ownerIn = (live: string[], id: string) => (key: string) => ownerOf(key, live) === id

it('gives every node group to exactly one instance and cluster-wide probes to all', () => {
  const { inventory, targets } = site()
  const plan = planShards(inventory, targets)
  const live = ['a', 'b', 'c']
  const probed = live.map((id) => plan.probed(targets, ownerIn(live, id)))
  for (const target of targets) {
    const by = probed.filter((mine) => mine.includes(target)).length
    expect(by).toBe(plan.keyOf(target) === CLUSTER_WIDE ? 3 : 1)
  }
  // A node's checks and the real-server checks on it stay together, with the service's nodes.
  const who = (id: string) => probed.findIndex((mine) => mine.some((t) => t.id === id))
  expect(who('web/n1/http')).toBe(who('node/n1/ssh'))
  expect(who('node/n2/ssh')).toBe(who('node/n1/ssh'))
  for (const mine of probed) expect(mine.length).toBeGreaterThan(5)
})

it('gives a standby that owns no group and records no shared row nothing to probe', () => {
  const { inventory, targets } = site()
  const plan = planShards(inventory, targets)
  const clusterWide = targets.filter((t) => plan.keyOf(t) === CLUSTER_WIDE)
  expect(clusterWide).toHaveLength(1)
  expect(plan.probed(targets, () => false)).toEqual([])
  // Recording the shared rows alone still needs the cluster-wide probes' results.
  expect(plan.probed(targets, (key) => key === CLUSTER_WIDE)).toEqual(clusterWide)
  expect(plan.probed(targets, (key) => key === 'node:n7').map((t) => t.id)).toEqual([
    'node/n7/ssh',
    'node/director/members',
  ])
})

it('records each transition on exactly one instance', () => {
  const { inventory, targets } = site()
  const plan = planShards(inventory, targets)
  const live = ['a', 'b', 'c']
  const event = (type: string, subject: string) =>
    ({ type, subject, at: 0, labels: {}, payload: {} }) as unknown as TandemEvent
  const changes = {
    events: [
      event('node.down', 'n7'),
      event('check.failed', 'node/n7/ssh'),
      event('service.down', 'web'),
      event('check.failed', 'node/director/members'),
      event('monitor.blind', 'monitor'),
    ],
    rows: [],
  }
  const kept = live.map((id) => plan.recorded(changes, ownerIn(live, id)).events)
  expect(kept.flat()).toHaveLength(changes.events.length)
  expect(kept.find((mine) => mine.length === 2 && mine[0]?.subject === 'n7')).toBeDefined()
})

it('moves only a dead instance`s groups to the survivors', () => {
  const { inventory, targets } = site()
  const plan = planShards(inventory, targets)
  const before = ['a', 'b', 'c']
  const after = ['a', 'c']
  for (const id of after) {
    const kept = plan.probed(targets, ownerIn(before, id))
    const now = plan.probed(targets, ownerIn(after, id))
    for (const target of kept) expect(now).toContain(target)
  }
  const union = new Set(after.flatMap((id) => plan.probed(targets, ownerIn(after, id))))
  expect(union.size).toBe(targets.length)
})

it('re-plans a running monitor: a group taken over is probed and recorded from then on', async () => {
  const server = createServer((socket) => socket.end())
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  const inventory = createInventory(
    Config.parse({
      nodes: ['n1', 'n2', 'n3'].map((name) => ({
        name,
        address: '127.0.0.1',
        checks: [{ name: 'ssh', kind: 'tcp', port, interval: '1s', rise: 1 }],
      })),
    }),
  )
  const store = await openStore(':memory:')
  const monitoring = await startMonitoring({
    inventory,
    store,
    log: quietLog,
    owns: (key) => key === 'node:n1',
    tickMs: 10,
  })
  const stored = async () =>
    (await store.db.select().from(healthStates))
      .filter((row) => row.kind === 'check')
      .map((row) => row.target)
      .sort()
  try {
    expect(monitoring.snapshot().scheduler.targets).toBe(1)
    await expect.poll(stored, { timeout: 5_000 }).toEqual(['node/n1/ssh'])
    await monitoring.reshard(() => true)
    expect(monitoring.snapshot().scheduler.targets).toBe(3)
    await expect
      .poll(stored, { timeout: 5_000 })
      .toEqual(['node/n1/ssh', 'node/n2/ssh', 'node/n3/ssh'])
  } finally {
    await monitoring.stop()
    store.close()
    server.close()
  }
})
