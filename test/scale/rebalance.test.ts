// A re-plan between two instances moves only the moved group: kept checks keep their probe times.
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import { startMonitoring } from '../../core/health/index.ts'
import { Config, createInventory } from '../../core/inventory/index.ts'
import { quietLog } from '../../core/probe/test-support.ts'
import { openStore } from '../../core/store/index.ts'

const INTERVAL = 1_000
/** Generous: the machine is shared. A second run within 600 ms is a double, past 1.4 s a skip. */
const EARLY = 600
const LATE = 1_400

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

/** A real loopback listener counting accepts; `hang` never answers (the probe waits its timeout). */
async function listener(hang: boolean) {
  const accepts: number[] = []
  const server = createServer((socket: Socket) => {
    accepts.push(Date.now())
    socket.on('error', () => {})
    if (!hang) socket.end()
  }).listen(0, '127.0.0.1')
  servers.push(server)
  await once(server, 'listening')
  return { server, accepts, port: (server.address() as { port: number }).port }
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!)

it('a re-plan leaves kept checks on their schedule and hands a moved group to exactly one instance', async () => {
  // n0 never answers its HTTP probe (900 ms timeout): a re-plan that waited for the checks
  // in flight would stall the others.
  const slow = await listener(true)
  const fast = await Promise.all(Array.from({ length: 8 }, () => listener(false)))
  const node = (name: string, port: number, kind: string, timeout: string) => ({
    name,
    address: '127.0.0.1',
    checks: [{ name: kind, kind, port, interval: '1s', timeout, rise: 1 }],
  })
  const inventory = createInventory(
    Config.parse({
      nodes: [
        node('n0', slow.port, 'http', '900ms'),
        ...fast.map((target, i) => node(`n${i + 1}`, target.port, 'tcp', '500ms')),
      ],
    }),
  )
  const store = await openStore(':memory:')
  const group = (key: string) => Number(key.slice('node:n'.length))
  const both = { inventory, store, log: quietLog, tickMs: 10 }
  const a = await startMonitoring({ ...both, owns: (key) => group(key) <= 4 })
  const b = await startMonitoring({ ...both, owns: (key) => group(key) > 4 })
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    // Re-plan while n0's probe is in flight: n4 moves from a to b, everything else stays.
    await once(slow.server, 'connection')
    await Promise.all([a.reshard((key) => group(key) <= 3), b.reshard((key) => group(key) > 3)])
    expect(a.stats().targets).toBe(4)
    expect(b.stats().targets).toBe(5)
    await new Promise((resolve) => setTimeout(resolve, 3_500))
  } finally {
    await Promise.all([a.stop(), b.stop()])
    store.close()
  }
  const kept = [slow, ...fast.filter((_, i) => i + 1 !== 4)]
  for (const target of kept) {
    // None twice, none skipped: the same phase before and after the re-plan.
    expect(target.accepts.length).toBeGreaterThanOrEqual(6)
    for (const gap of gaps(target.accepts)) {
      expect(gap).toBeGreaterThan(EARLY)
      expect(gap).toBeLessThan(LATE)
    }
  }
  // The moved group: probed once per interval by one instance (both would probe at the same
  // phase, so two owners show as a gap near zero), at most one interval lost in the handover.
  const moved = fast[3]!.accepts
  expect(moved.filter((t) => t > Date.now() - 3_000).length).toBeGreaterThanOrEqual(2)
  for (const gap of gaps(moved)) {
    expect(gap).toBeGreaterThan(EARLY)
    expect(gap).toBeLessThan(INTERVAL + LATE)
  }
}, 20_000)
