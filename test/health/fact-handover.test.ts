// Live facts change hands with the rows they fill: an instance that learned a service's new owner
// while another instance recorded that row writes it once the row is its own, and sets right a
// late write from the instance before. The cluster is the lab's rgmanager (clustat, clusvcadm).
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { eq } from 'drizzle-orm'
import { afterEach, expect, it } from 'vitest'
import { CLUSTER_WIDE, healthTarget, startMonitoring } from '../../core/health/index.ts'
import { Config, createInventory } from '../../core/inventory/index.ts'
import { createRegistry } from '../../core/plugin-host/index.ts'
import { pluginContextFor, quietLog } from '../../core/probe/test-support.ts'
import { healthStates, openStore, type Store } from '../../core/store/index.ts'
import rgmanager from '../../plugins/rgmanager/index.ts'
import { LAB_BIN, labCluster } from '../cluster/support.ts'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

it("a service's new owner, learned while another instance recorded its row, is written once the row changes hands", async () => {
  const world = labCluster({ db: { owner: 'node2' } })
  const agent = createServer((socket) => socket.end()).listen(0, '127.0.0.1')
  cleanup.push(() => agent.close())
  await once(agent, 'listening')
  const fast = { interval: '150ms', timeout: '2s', rise: 1, fall: 2 }
  const inventory = createInventory(
    Config.parse({
      cluster: { name: 'demo', manager: 'rgmanager' },
      nodes: [
        {
          name: 'director',
          address: '127.0.0.1',
          roles: ['director', 'monitor'],
          checks: [{ name: 'members', kind: 'rgmanager.membership', ...fast }],
        },
        ...['node1', 'node2', 'node3'].map((name) => ({
          name,
          address: '127.0.0.1',
          checks: [{ name: 'agent', kind: 'tcp', port: portOf(agent), ...fast }],
        })),
      ],
      services: [{ name: 'db', cluster: { rgmanager: { service: 'db' } } }],
      plugins: {
        rgmanager: {
          clustat: join(LAB_BIN, 'clustat'),
          clusvcadm: join(LAB_BIN, 'clusvcadm'),
          env: { TANDEM_LAB_WORLD: world },
        },
      },
    }),
  )
  const dir = mkdtempSync(join(tmpdir(), 'tandem-fact-handover-'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  const url = `file:${join(dir, 'tandem.db')}`
  const open = async () => {
    const store = await openStore(url)
    cleanup.push(() => store.close())
    return store
  }
  const start = (store: Store, owns?: (key: string) => boolean) =>
    startMonitoring({
      inventory,
      store,
      log: quietLog,
      registry: createRegistry([rgmanager]),
      pluginContext: pluginContextFor(inventory),
      owns,
    })
  const storedOwner = async (store: Store) => {
    const [row] = await store.db
      .select({ detail: healthStates.detail })
      .from(healthStates)
      .where(eq(healthStates.target, healthTarget.service('db')))
    return (row?.detail as { owner?: string } | undefined)?.owner
  }
  const relocate = (to: string) =>
    promisify(execFile)(join(LAB_BIN, 'clusvcadm'), ['-r', 'db', '-m', to], {
      env: { ...process.env, TANDEM_LAB_WORLD: world },
    })

  // Instance A records every row: db runs on node2. A dies.
  const storeA = await open()
  const a = await start(storeA)
  await expect.poll(() => storedOwner(storeA), { timeout: 10_000 }).toBe('node2')
  await a.stop()

  // B probes the cluster, but another instance (A, not yet known to be gone) records the rows
  // of the cluster-wide shard, db's among them. db moves to node3: B sees it, and it is not
  // B's to write.
  const storeB = await open()
  let shared = false
  const owns = (key: string) => key !== CLUSTER_WIDE || shared
  const b = await start(storeB, owns)
  cleanup.push(() => b.stop())
  await expect.poll(() => b.stats().targets, { timeout: 5_000 }).toBe(4)
  await relocate('node3')
  const moved = Date.now()
  const members = () => b.snapshot().checks.find((c) => c.id === 'node/director/members')
  const resultAfter = async (at: number) => {
    await expect.poll(() => (members()?.last?.at ?? 0) > at, { timeout: 10_000 }).toBe(true)
    return members()?.last?.at ?? 0
  }
  // The second result after the move comes from a probe started after it: B has seen node3.
  await resultAfter(await resultAfter(moved))
  await b.flush()
  expect(await storedOwner(storeB)).toBe('node2')

  // A is known to be gone: the row is B's, and B writes what it saw, though db did not move again.
  shared = true
  await b.reshard(owns)
  await expect.poll(() => storedOwner(storeB), { timeout: 5_000 }).toBe('node3')

  // A late write from the instance before (it had not seen the handover): set right again at
  // B's next heartbeat, the second time as the first.
  for (let round = 0; round < 2; round++) {
    await storeA.db
      .update(healthStates)
      .set({ detail: { owner: 'node2', lastOwner: null, ownerState: 'started' } })
      .where(eq(healthStates.target, healthTarget.service('db')))
    await b.beat()
    await expect.poll(() => storedOwner(storeB), { timeout: 5_000 }).toBe('node3')
  }
})

function portOf(server: Server): number {
  return (server.address() as { port: number }).port
}
