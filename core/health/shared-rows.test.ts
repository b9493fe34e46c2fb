// The monitor row changes hands with the shared rows: whoever records it now corrects what it says.
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { afterEach, expect, it } from 'vitest'
import { Config, createInventory } from '../inventory/index.ts'
import { quietLog } from '../probe/test-support.ts'
import { healthStates, openStore, type Store } from '../store/index.ts'
import { startMonitoring } from './monitoring.ts'
import { healthTarget } from './rows.ts'
import { CLUSTER_WIDE } from './shard-plan.ts'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

it('a monitor row left down by a blind instance is set right by the instance that records it next', async () => {
  const port = await freePort()
  const inventory = createInventory(
    Config.parse({
      monitor: { blind_threshold: 0.5 },
      nodes: ['n1', 'n2', 'n3'].map((name) => ({
        name,
        address: '127.0.0.1',
        checks: [{ name: 'ssh', kind: 'tcp', port, interval: '200ms', rise: 1, fall: 1 }],
      })),
    }),
  )
  const dir = mkdtempSync(join(tmpdir(), 'tandem-shared-rows-'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  const url = `file:${join(dir, 'tandem.db')}`
  const monitorRow = async (store: Store) =>
    (
      await store.db
        .select({ state: healthStates.state })
        .from(healthStates)
        .where(eq(healthStates.target, healthTarget.monitor))
    )[0]?.state

  // Instance A records everything and sees every node refuse: it is blind, says so, and dies.
  const storeA = await openStore(url)
  cleanup.push(() => storeA.close())
  const a = await startMonitoring({ inventory, store: storeA, log: quietLog, tickMs: 10 })
  await expect.poll(() => monitorRow(storeA), { timeout: 10_000 }).toBe('down')
  await a.stop()

  // The nodes answer now. Instance B probes them and sees, but another instance records the
  // shared rows: B's "sighted" is not its to write.
  const server = await listen(port)
  cleanup.push(() => server.close())
  const storeB = await openStore(url)
  cleanup.push(() => storeB.close())
  let shared = false
  const b = await startMonitoring({
    inventory,
    store: storeB,
    log: quietLog,
    tickMs: 10,
    owns: (key) => key !== CLUSTER_WIDE || shared,
  })
  cleanup.push(() => b.stop())
  await expect
    .poll(() => b.engine.snapshot().blind === false && b.stats().targets === 3, { timeout: 5_000 })
    .toBe(true)
  await b.flush()
  expect(await monitorRow(storeB)).toBe('down')

  // The shared rows become B's (the instance that wrote them is gone): B corrects the monitor
  // row at its next results, though B itself never changed its mind.
  shared = true
  await b.reshard((key) => key !== CLUSTER_WIDE || shared)
  await expect.poll(() => monitorRow(storeB), { timeout: 5_000 }).toBe('up')

  // A late write from an instance that recorded them before (it had not seen the handover):
  // set right again at B's next heartbeat.
  await storeA.db
    .update(healthStates)
    .set({ state: 'down' })
    .where(eq(healthStates.target, healthTarget.monitor))
  await b.beat()
  await expect.poll(() => monitorRow(storeB), { timeout: 5_000 }).toBe('up')
  const sighted = await storeB.client.execute(
    "SELECT count(*) AS n FROM events WHERE type = 'monitor.sighted'",
  )
  expect(Number(sighted.rows[0]?.n)).toBe(2)
})

async function freePort(): Promise<number> {
  const server = await listen(0)
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function listen(port: number): Promise<Server> {
  const server = createServer((socket) => socket.end())
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return server
}
