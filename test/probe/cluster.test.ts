// The monitor with the real rgmanager plugin against the lab's clustat: the cluster's own view is a
// vantage point for node-down, and its quorum and members land where the executor reads them.
import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createHealthClusterView } from '../../core/act/index.ts'
import type { TandemEvent } from '../../core/events/index.ts'
import { startMonitoring } from '../../core/health/index.ts'
import { Config, createInventory } from '../../core/inventory/index.ts'
import { createRegistry } from '../../core/plugin-host/index.ts'
import { pluginContextFor, quietLog } from '../../core/probe/test-support.ts'
import { openStore } from '../../core/store/index.ts'
import rgmanager from '../../plugins/rgmanager/index.ts'
import { LAB_BIN, labCluster } from '../cluster/support.ts'
import { updateWorld } from '../lab/world.mjs'

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

async function agent(): Promise<Server> {
  const server = createServer((socket) => socket.end()).listen(0, '127.0.0.1')
  servers.push(server)
  await once(server, 'listening')
  return server
}

describe('monitoring with rgmanager.membership (lab clustat)', () => {
  it('calls node2 down when its agent stops answering and the cluster drops it too', async () => {
    const world = labCluster({ db: { owner: 'node2' } })
    const agents = [await agent(), await agent(), await agent()]
    const fast = { interval: '150ms', timeout: '2s', rise: 1, fall: 2 }
    const inventory = createInventory(
      Config.parse({
        cluster: { name: 'demo', manager: 'rgmanager' },
        monitor: { node_down_quorum: 2 },
        nodes: [
          {
            name: 'director',
            address: '127.0.0.1',
            roles: ['director', 'monitor'],
            checks: [{ name: 'members', kind: 'rgmanager.membership', ...fast }],
          },
          ...agents.map((server, i) => ({
            name: `node${i + 1}`,
            address: '127.0.0.1',
            checks: [
              {
                name: 'agent',
                kind: 'tcp',
                port: (server.address() as { port: number }).port,
                ...fast,
              },
            ],
          })),
        ],
        plugins: {
          rgmanager: {
            clustat: join(LAB_BIN, 'clustat'),
            clusvcadm: join(LAB_BIN, 'clusvcadm'),
            env: { TANDEM_LAB_WORLD: world },
          },
        },
      }),
    )
    const store = await openStore(':memory:')
    const seen: TandemEvent[] = []
    const monitoring = await startMonitoring({
      inventory,
      store,
      log: quietLog,
      registry: createRegistry([rgmanager]),
      pluginContext: pluginContextFor(inventory),
      onEvents: (events) => seen.push(...events),
    })
    const until = async (what: string, done: () => boolean | Promise<boolean>) => {
      const deadline = Date.now() + 15_000
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 25))
      }
    }
    try {
      const up = () => monitoring.snapshot().nodes.filter((n) => n.state === 'up').length
      await until('node1..3 up', () => up() === 3)
      const view = createHealthClusterView(store.db, inventory)
      await until('cluster row', async () => (await view.snapshot()).members?.length === 3)

      // Only the agent goes: the cluster still counts node2, one vantage point of two.
      agents[1]!.close()
      await until('agent failed', () => seen.some((e) => e.subject === 'node/node2/agent'))
      await new Promise((r) => setTimeout(r, 500))
      expect(seen.some((e) => e.type === 'node.down')).toBe(false)

      // node2 loses power: clustat drops it, the quorum (2 of 2) is there.
      updateWorld((w) => {
        w.nodes.node2 = { up: false, power: 'off' }
      })
      await until('node2 down', () => seen.some((e) => e.type === 'node.down'))
      const down = seen.find((e) => e.type === 'node.down')!
      expect(down.subject).toBe('node2')
      const votes = (down.payload.votes as { vantage: string; verdict: string }[]).map(
        (v) => `${v.vantage}=${v.verdict}`,
      )
      expect(votes).toEqual(['monitor=down', 'cluster:node/director/members=down'])
      await monitoring.flush()
      expect(await view.snapshot()).toMatchObject({ quorate: true, members: ['node1', 'node3'] })
    } finally {
      await monitoring.stop()
      store.close()
    }
  })
})
