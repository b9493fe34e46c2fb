import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createProber } from './prober.ts'
import { runChecksOnce } from './run-once.ts'
import { type CheckResult, startScheduler } from './scheduler.ts'
import type { CheckTarget } from './targets.ts'
import { checkTarget } from './test-support.ts'

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

/** A real listener per target; `hang` keeps accepted sockets open without a byte. */
async function farm(count: number, hang: boolean) {
  const accepts: number[][] = []
  const ports: number[] = []
  for (let i = 0; i < count; i++) {
    accepts.push([])
    const server = createServer((socket: Socket) => {
      accepts[i]!.push(Date.now())
      socket.on('error', () => {})
      socket.resume()
      if (!hang) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    }).listen(0, '127.0.0.1')
    servers.push(server)
    await once(server, 'listening')
    ports.push((server.address() as { port: number }).port)
  }
  return { ports, accepts }
}

function targets(ports: number[], check: Record<string, unknown>): CheckTarget[] {
  return ports.map((port, i) =>
    checkTarget({ name: `c${i}`, kind: 'http', ...check }, { id: `web/n${i}/http`, port }),
  )
}

describe('scheduler', () => {
  it('runs every check once per interval, spread over the interval, and batches results', async () => {
    const { ports, accepts } = await farm(60, false)
    const list = targets(ports, { interval: '400ms', timeout: '300ms' })
    const prober = await createProber(list)
    const batches: CheckResult[][] = []
    const started = Date.now()
    const scheduler = startScheduler({
      targets: list,
      prober,
      maxConcurrency: 64,
      onResults: (b) => batches.push(b),
    })
    await new Promise((r) => setTimeout(r, 1300))
    await scheduler.stop()
    prober.close()
    const runs = accepts.map((a) => a.length)
    // 1.3 s at 400 ms: 3 or 4 runs each, never a burst of catch-up runs.
    expect(Math.min(...runs)).toBeGreaterThanOrEqual(2)
    expect(Math.max(...runs)).toBeLessThanOrEqual(4)
    // Spread: the first runs fall all over the first interval, not in one instant.
    const firsts = accepts.map((a) => a[0]! - started).sort((x, y) => x - y)
    expect(firsts.at(-1)! - firsts[0]!).toBeGreaterThan(200)
    const results = batches.flat()
    expect(results.every((r) => r.result.status === 'ok')).toBe(true)
    expect(batches.length).toBeLessThan(results.length)
  })

  it('removes and adds checks while the others keep running', async () => {
    const { ports, accepts } = await farm(4, false)
    const list = targets(ports, { interval: '200ms', timeout: '150ms' })
    const prober = await createProber(list)
    const delivered = new Set<string>()
    const scheduler = startScheduler({
      targets: list.slice(0, 3),
      prober,
      maxConcurrency: 8,
      tickMs: 10,
      onResults: (batch) => {
        for (const r of batch) delivered.add(`${r.target.id}@${r.at}`)
      },
    })
    await new Promise((r) => setTimeout(r, 500))
    await scheduler.remove([list[0]!.id])
    const removedAt = Date.now()
    scheduler.add([list[3]!])
    expect(scheduler.stats().targets).toBe(3)
    await new Promise((r) => setTimeout(r, 700))
    await scheduler.stop()
    prober.close()
    // Handed away: never probed again once remove() resolved; taken over: probed from then on.
    expect(accepts[0]!.filter((t) => t > removedAt)).toEqual([])
    expect(accepts[3]!.length).toBeGreaterThanOrEqual(2)
    expect(accepts[1]!.length).toBeGreaterThanOrEqual(4)
    const late = [...delivered].filter((key) => key.startsWith(`${list[0]!.id}@`))
    expect(late.every((key) => Number(key.split('@')[1]) <= removedAt)).toBe(true)
  })

  it('never runs one check twice at once, even when its timeout outlasts its interval', async () => {
    const { ports, accepts } = await farm(3, true)
    const list = targets(ports, { interval: '100ms', timeout: '350ms' })
    const prober = await createProber(list)
    const inFlight = new Map<string, number>()
    let overlap = 0
    const watched = {
      run: (target: CheckTarget) => {
        const now = (inFlight.get(target.id) ?? 0) + 1
        if (now > 1) overlap++
        inFlight.set(target.id, now)
        return prober
          .run(target)
          .finally(() => inFlight.set(target.id, inFlight.get(target.id)! - 1))
      },
    }
    const results: CheckResult[] = []
    const scheduler = startScheduler({
      targets: list,
      prober: watched,
      maxConcurrency: 10,
      onResults: (b) => results.push(...b),
    })
    await new Promise((r) => setTimeout(r, 1200))
    await scheduler.stop()
    prober.close()
    expect(overlap).toBe(0)
    // 1.2 s of back-to-back 350 ms runs: at most 4 each, missed slots are not made up.
    expect(Math.max(...accepts.map((a) => a.length))).toBeLessThanOrEqual(4)
    expect(Math.min(...accepts.map((a) => a.length))).toBeGreaterThanOrEqual(2)
    expect(results.length).toBeGreaterThan(0)
    expect(results.every((r) => r.result.status === 'timeout')).toBe(true)
  })

  it('holds at most maxConcurrency checks in flight and lets the rest wait', async () => {
    const { ports, accepts } = await farm(20, true)
    const list = targets(ports, { interval: '50ms', timeout: '200ms' })
    const prober = await createProber(list)
    let inFlight = 0
    let peak = 0
    const counted = {
      run: (target: CheckTarget) => {
        peak = Math.max(peak, ++inFlight)
        return prober.run(target).finally(() => inFlight--)
      },
    }
    const scheduler = startScheduler({
      targets: list,
      prober: counted,
      maxConcurrency: 5,
      onResults: () => {},
    })
    await new Promise((r) => setTimeout(r, 150))
    const busy = scheduler.stats()
    await new Promise((r) => setTimeout(r, 1200))
    await scheduler.stop()
    prober.close()
    expect(peak).toBe(5)
    expect(busy.running).toBe(5)
    expect(busy.queued).toBeGreaterThan(0)
    // Back-pressure is a queue, not a drop: every check got its turn.
    expect(accepts.every((a) => a.length >= 1)).toBe(true)
  })
})

describe('runChecksOnce', () => {
  it('runs each check once under the cap and returns results in target order', async () => {
    const { ports, accepts } = await farm(6, false)
    const list = targets(ports, { timeout: '1s' })
    const prober = await createProber(list)
    const results = await runChecksOnce(list, prober, 2)
    prober.close()
    expect(results.map((r) => r.target.id)).toEqual(list.map((t) => t.id))
    expect(results.every((r) => r.result.status === 'ok')).toBe(true)
    expect(accepts.map((a) => a.length)).toEqual([1, 1, 1, 1, 1, 1])
  })
})
