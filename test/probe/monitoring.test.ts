// End to end: real sockets and plugins → scheduler → health engine → a real libSQL file, transitions only.
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { createHealthClusterView } from '../../core/act/index.ts'
import type { TandemEvent } from '../../core/events/index.ts'
import { isMonitorBlind, type Monitoring, startMonitoring } from '../../core/health/index.ts'
import { Config, createInventory } from '../../core/inventory/index.ts'
import { definePlugin, defineProbe, z } from '../../core/plugin/index.ts'
import { createRegistry } from '../../core/plugin-host/index.ts'
import { pluginContextFor, quietLog } from '../../core/probe/test-support.ts'
import { events, healthStates, openStore, type Store } from '../../core/store/index.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A real plugin: the cluster's membership as a JSON file the test edits (a stand-in for clustat). */
const lab = definePlugin({
  name: 'lab',
  description: 'membership from a file',
  config: z.object({}),
  probes: {
    membership: defineProbe({
      description: 'members listed in a JSON file',
      input: z.object({ file: z.string() }),
      async run(input, ctx) {
        const out = await ctx.runner.run({ argv: ['/bin/cat', input.file] })
        return {
          status: 'ok',
          latencyMs: out.durationMs,
          detail: 'read',
          data: JSON.parse(out.stdout),
        }
      },
    }),
  },
})

interface Backend {
  port: number
  server: Server
  /** Make it answer 500 (true) or 200. */
  fail(on: boolean): void
}

async function backend(): Promise<Backend> {
  let failing = false
  const server = createServer((_req, res) => {
    res.statusCode = failing ? 500 : 200
    res.end(failing ? 'broken' : 'ok')
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(() => {
    server.closeAllConnections()
    server.close()
  })
  return { port: (server.address() as { port: number }).port, server, fail: (on) => (failing = on) }
}

async function world(count: number, monitor: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-monitoring-'))
  const membersFile = join(dir, 'members.json')
  const members = (offline: string[] = []) =>
    writeFileSync(
      membersFile,
      JSON.stringify({
        quorate: true,
        members: Array.from({ length: count }, (_, i) => ({
          name: `node${i + 1}`,
          online: !offline.includes(`node${i + 1}`),
        })),
      }),
    )
  members()
  const backends = await Promise.all(Array.from({ length: count }, () => backend()))
  const fast = { interval: '100ms', timeout: '500ms', rise: 1, fall: 2 }
  const config = Config.parse({
    monitor: { node_down_quorum: 2, ...monitor },
    nodes: [
      {
        name: 'director',
        address: '127.0.0.1',
        roles: ['director'],
        checks: [{ name: 'members', kind: 'lab.membership', with: { file: membersFile }, ...fast }],
      },
      ...backends.map((b, i) => ({
        name: `node${i + 1}`,
        address: '127.0.0.1',
        checks: [{ name: 'admin', kind: 'tcp', port: b.port, ...fast }],
      })),
    ],
    services: [
      {
        name: 'web',
        lvs: { director: 'director', address: '127.0.2.1', port: 80 },
        real_servers: backends.map((b, i) => ({ node: `node${i + 1}`, port: b.port })),
        min_healthy: Math.max(1, count - 1),
        checks: [
          {
            name: 'http',
            kind: 'http',
            path: '/healthz',
            expect: { status: [200], body_contains: 'ok' },
            ...fast,
          },
        ],
      },
    ],
  })
  const inventory = createInventory(config)
  const file = join(dir, 'tandem.db')
  return { inventory, backends, members, file, dir }
}

async function start(
  w: Awaited<ReturnType<typeof world>>,
  store: Store,
  seen: TandemEvent[],
): Promise<Monitoring> {
  const monitoring = await startMonitoring({
    inventory: w.inventory,
    store,
    log: quietLog,
    registry: createRegistry([lab]),
    pluginContext: pluginContextFor(w.inventory),
    onEvents: (batch) => seen.push(...batch),
  })
  cleanups.push(() => monitoring.stop())
  return monitoring
}

/** A world of `count` nodes, monitored, with every node up. */
async function healthyWorld(count: number) {
  const w = await world(count)
  const store = await open(w.file)
  const seen: TandemEvent[] = []
  const monitoring = await start(w, store, seen)
  const up = () => monitoring.snapshot().nodes.filter((n) => n.state === 'up').length
  await until('nodes up', () => up() === count)
  return { w, store, seen, monitoring }
}

async function open(file: string): Promise<Store> {
  const store = await openStore(`file:${file}`)
  cleanups.push(() => store.close())
  return store
}

async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const writes = async (store: Store) =>
  Number((await store.client.execute('SELECT total_changes() AS n')).rows[0]!.n)

describe('monitoring (scheduler + engine + store)', () => {
  it('writes nothing to the database while a healthy fleet stays healthy', async () => {
    const w = await world(20)
    const store = await open(w.file)
    const seen: TandemEvent[] = []
    const monitoring = await start(w, store, seen)
    await until('every check up', () => monitoring.snapshot().checks.every((c) => c.state === 'up'))
    await until(
      'services and nodes up',
      () =>
        monitoring.snapshot().services.every((s) => s.state === 'up') &&
        monitoring
          .snapshot()
          .nodes.filter((n) => n.name !== 'director')
          .every((n) => n.state === 'up'),
    )
    await monitoring.flush()
    const before = await writes(store)
    const completed = monitoring.snapshot().scheduler.completed
    await new Promise((r) => setTimeout(r, 2000)) // 20 intervals of 41 checks
    await monitoring.flush()
    expect(monitoring.snapshot().scheduler.completed - completed).toBeGreaterThan(41 * 8)
    expect(await writes(store)).toBe(before)
    expect(seen).toEqual([]) // coming up from unknown announces nothing
    const rows = await store.db.select().from(healthStates)
    expect(rows.length).toBe(41 + 20 + 1 + 1) // checks, nodes, the service, the cluster
  })

  it('stores each transition once, with ids, and resumes after a restart without repeating it', async () => {
    const w = await world(3)
    const store = await open(w.file)
    const seen: TandemEvent[] = []
    const first = await start(w, store, seen)
    await until('all up', () => first.snapshot().services[0]?.state === 'up')
    w.backends[1]!.fail(true)
    await until('check.failed', () => seen.some((e) => e.type === 'check.failed'))
    await first.stop()
    const failed = seen.filter((e) => e.type === 'check.failed')
    expect(failed.map((e) => e.subject)).toEqual(['web/node2/http'])
    expect(failed[0]!.id).toBeGreaterThan(0)
    expect(failed[0]!.payload).toMatchObject({ to: 'down', port: w.backends[1]!.port })
    const stored = await store.db.select().from(events)
    expect(stored.map((e) => `${e.id} ${e.type} ${e.subject}`)).toEqual(
      seen.map((e) => `${e.id} ${e.type} ${e.subject}`),
    )

    // A new process on the same database: the failure is already known, nothing is re-announced.
    const again: TandemEvent[] = []
    const second = await start(w, store, again)
    await new Promise((r) => setTimeout(r, 1000))
    expect(again).toEqual([])
    w.backends[1]!.fail(false)
    await until('recovered', () => again.some((e) => e.type === 'check.recovered'))
    expect(again.map((e) => `${e.type} ${e.subject}`)).toEqual(['check.recovered web/node2/http'])
    await second.flush()
    const [row] = await store.db
      .select()
      .from(healthStates)
      .where(eq(healthStates.target, 'web/node2/http'))
    expect(row).toMatchObject({ state: 'up', kind: 'check' })
  })

  it('calls a node down when two vantage points agree, once, with the votes as evidence', async () => {
    const { w, seen } = await healthyWorld(3)
    // node3's backend stops listening: its own tcp check (monitor) and its real server
    // (services) both fail; the cluster still lists it. 2 of 3 is the quorum.
    w.backends[2]!.server.close()
    w.backends[2]!.server.closeAllConnections()
    await until('node3 down', () => seen.some((e) => e.type === 'node.down'))
    const down = seen.find((e) => e.type === 'node.down')!
    expect(down.subject).toBe('node3')
    expect(down.payload).toMatchObject({
      quorum: { required: 2, down: 2, up: 1, vantagePoints: 3 },
    })
    await new Promise((r) => setTimeout(r, 500))
    expect(seen.filter((e) => e.type === 'node.down').length).toBe(1)
    expect(seen.some((e) => e.type === 'service.degraded')).toBe(false) // 2 healthy, min 2
  })

  it('needs the cluster view to agree when only one vantage point sees a failure', async () => {
    const { w, seen } = await healthyWorld(3)
    w.backends[0]!.fail(true) // node1's http answers 500; its tcp port still accepts
    await until('check.failed', () => seen.some((e) => e.type === 'check.failed'))
    await new Promise((r) => setTimeout(r, 500))
    expect(seen.some((e) => e.type === 'node.down')).toBe(false)
    w.members(['node1']) // now the cluster says node1 left as well: 2 of 3
    await until('node1 down', () => seen.some((e) => e.type === 'node.down'))
    const votes = (
      seen.find((e) => e.type === 'node.down')!.payload.votes as {
        vantage: string
        verdict: string
      }[]
    ).map((v) => `${v.vantage}=${v.verdict}`)
    expect(votes).toEqual(['monitor=up', 'services=down', 'cluster:node/director/members=down'])
  })

  it("writes the cluster's quorum and members where the executor's quorum guard reads them", async () => {
    const { w, store, monitoring } = await healthyWorld(3)
    const view = createHealthClusterView(store.db, w.inventory)
    await until('quorate with 3 members', async () => (await view.snapshot()).members?.length === 3)
    w.members(['node2'])
    await until('node2 gone', async () => !(await view.snapshot()).members?.includes('node2'))
    await monitoring.flush()
    expect(await view.snapshot()).toMatchObject({ quorate: true, members: ['node1', 'node3'] })
  })

  it('stores the blind state so the executor can refuse destructive actions', async () => {
    const w = await world(4, { blind_threshold: 0.4 })
    const store = await open(w.file)
    const seen: TandemEvent[] = []
    const monitoring = await start(w, store, seen)
    await until('all up', () => monitoring.snapshot().checks.every((c) => c.state === 'up'))
    for (const b of w.backends) b.fail(true) // 4 of 9 targets fail at once, on 4 nodes
    await until('blind', () => seen.some((e) => e.type === 'monitor.blind'))
    await monitoring.flush()
    expect(await isMonitorBlind(store)).toBe(true)
    for (const b of w.backends) b.fail(false)
    await until('sighted', () => seen.some((e) => e.type === 'monitor.sighted'))
    await monitoring.flush()
    expect(await isMonitorBlind(store)).toBe(false)
    // While blind, the failures were held: no wave of check.failed or service.down.
    expect(seen.map((e) => e.type)).toEqual(['monitor.blind', 'monitor.sighted'])
  })
})
