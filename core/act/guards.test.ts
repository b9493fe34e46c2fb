import { beforeEach, describe, expect, it } from 'vitest'
import { createInventory, parseConfig } from '../inventory/index.ts'
import type { Guards, Plan } from '../policy/index.ts'
import {
  drainedServers,
  healthStates,
  incidents,
  openStore,
  runs,
  type Store,
  silences,
  steps,
} from '../store/index.ts'
import { runRefusal, type StepFacts, stepRefusal } from './guards.ts'

const inventory = createInventory(
  parseConfig(
    'guards.yaml',
    `
cluster: { name: demo, manager: rgmanager }
nodes:
  - { name: director, address: 127.0.1.10, roles: [director] }
  - { name: node1, address: 127.0.1.1 }
  - { name: node2, address: 127.0.1.2 }
  - { name: node3, address: 127.0.1.3 }
  - { name: node4, address: 127.0.1.4 }
services:
  - name: web
    lvs: { director: director, address: 127.0.2.10, port: 80, scheduler: wrr, forwarding: masq }
    real_servers: [{ node: node1 }, { node: node2 }, { node: node3 }, { node: node4 }]
`,
  ),
)

const planWith = (guards: Partial<Guards>): Plan => ({
  policy: 'node-down',
  file: 'policies/node-down.yaml',
  event: { type: 'node.down', subject: 'node2', at: 1, labels: {}, payload: {} },
  incidentKey: 'node.down:node2',
  steps: [],
  guards: { requireQuorum: true, maintenanceAware: true, approval: 'none', ...guards },
  notify: { channels: [], on: [] },
  dryRun: false,
})

const NOW = 1_000_000
const facts = (over: Partial<StepFacts> = {}): StepFacts => ({
  stepId: 'run-x/step',
  uses: 'lvs.drain',
  destructive: true,
  fenceNode: null,
  target: null,
  drains: [],
  places: [],
  labels: { node: 'node2' },
  cluster: { quorate: true, members: ['node1', 'node3', 'node4'], source: 'test' },
  now: NOW,
  ...over,
})

let store: Store
beforeEach(async () => {
  store = await openStore(':memory:')
  await store.db.insert(incidents).values({
    id: 'inc-1',
    key: 'node.down:node2',
    status: 'open',
    title: 'node2 down',
    openedAt: 1,
  })
})

let seq = 0
const pastRun = (status: string, startedAt: number, dryRun = false) =>
  store.db.insert(runs).values({
    id: `run-${++seq}`,
    incidentId: 'inc-1',
    policy: 'node-down',
    trigger: {},
    status,
    dryRun,
    actor: 'daemon',
    startedAt,
  })
const step = async (startedAt: number, fenceNode: string) => {
  await pastRun('succeeded', startedAt)
  await store.db.insert(steps).values({
    id: `run-${seq}/fence`,
    runId: `run-${seq}`,
    index: 0,
    name: 'fence',
    uses: 'fence.fence',
    input: {},
    commands: [],
    status: 'succeeded',
    idempotencyKey: `run-${seq}/fence`,
    fenceNode,
    startedAt,
  })
}
const refuse = (guards: Partial<Guards>, over: Partial<StepFacts> = {}) =>
  stepRefusal(store.db, planWith(guards), inventory, facts(over), 0.5)

describe('run guards', () => {
  it('holds a second run for the same incident within the cooldown, counting only runs that acted', async () => {
    await pastRun('blocked', NOW - 10_000)
    await pastRun('succeeded', NOW - 10_000, true)
    expect(await runRefusal(store.db, planWith({ cooldownMs: 60_000 }), NOW, 10)).toBeUndefined()
    await pastRun('succeeded', NOW - 30_000)
    expect(await runRefusal(store.db, planWith({ cooldownMs: 60_000 }), NOW, 10)).toMatchObject({
      guard: 'cooldown',
    })
    expect(await runRefusal(store.db, planWith({ cooldownMs: 20_000 }), NOW, 10)).toBeUndefined()
  })

  it('stops at max_runs in the window and at the global concurrency limit', async () => {
    await pastRun('failed', NOW - 50_000)
    await pastRun('running', NOW - 5_000)
    const maxRuns = { count: 2, windowMs: 60_000 }
    expect(await runRefusal(store.db, planWith({ maxRuns }), NOW, 10)).toMatchObject({
      guard: 'max_runs',
    })
    expect(
      await runRefusal(store.db, planWith({ maxRuns: { ...maxRuns, windowMs: 10_000 } }), NOW, 10),
    ).toBeUndefined()
    expect(await runRefusal(store.db, planWith({}), NOW, 1)).toMatchObject({
      guard: 'concurrency',
    })
  })
})

describe('step guards', () => {
  it('fails closed on unknown quorum for a destructive step only', async () => {
    const unknown = { quorate: null, members: null, source: 'no probe yet' }
    expect(await refuse({}, { cluster: unknown })).toMatchObject({ guard: 'quorum' })
    expect(await refuse({}, { cluster: unknown, destructive: false })).toBeUndefined()
    expect(await refuse({ requireQuorum: false }, { cluster: unknown })).toBeUndefined()
  })

  it('refuses destructive steps while the monitor is blind', async () => {
    await store.db
      .insert(healthStates)
      .values({ target: 'monitor', kind: 'check', state: 'down', since: 1, updatedAt: 1 })
    expect(await refuse({})).toMatchObject({ guard: 'monitor_blind' })
    expect(await refuse({}, { destructive: false })).toBeUndefined()
  })

  it('counts fences of every policy in the window: the next one over the limit waits', async () => {
    await step(NOW - 120_000, 'node1')
    await step(NOW - 30_000, 'node3')
    const maxFences = { count: 2, windowMs: 300_000 }
    expect(await refuse({ maxFences }, { fenceNode: 'node2' })).toMatchObject({
      guard: 'max_fences',
    })
    expect(
      await refuse({ maxFences: { ...maxFences, windowMs: 60_000 } }, { fenceNode: 'node2' }),
    ).toBeUndefined()
  })

  it('keeps the share of drained real servers within max_drained_percent', async () => {
    await store.db.insert(drainedServers).values({ service: 'web', node: 'node1', since: 1 })
    const drain = (node: string) => ({ drains: [{ service: 'web', node, drained: true }] })
    expect(await refuse({ maxDrainedPercent: 50 }, drain('node2'))).toBeUndefined()
    await store.db.insert(drainedServers).values({ service: 'web', node: 'node2', since: 2 })
    expect(await refuse({ maxDrainedPercent: 50 }, drain('node3'))).toMatchObject({
      guard: 'blast_radius',
      reason: expect.stringContaining('3 of 4 real servers of web drained (75% > 50%)'),
    })
    // Putting a server back never counts against the limit.
    expect(
      await refuse(
        { maxDrainedPercent: 50 },
        {
          drains: [{ service: 'web', node: 'node3', drained: false }],
        },
      ),
    ).toBeUndefined()
  })

  it('holds actions on targets inside an active maintenance window', async () => {
    await store.db.insert(silences).values({
      id: 'mw-1',
      kind: 'maintenance',
      matchers: [{ label: 'node', op: '=', value: 'node2' }],
      startsAt: NOW - 1_000,
      endsAt: NOW + 60_000,
      createdBy: 'ops',
      comment: 'kernel update',
    })
    expect(await refuse({})).toMatchObject({ guard: 'maintenance' })
    expect(await refuse({}, { labels: { node: 'node3' } })).toBeUndefined()
    expect(await refuse({ maintenanceAware: false })).toBeUndefined()
  })
})
