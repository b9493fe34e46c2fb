// `npm run bench:probe`: the real scheduler, probes and health engine against a loopback farm,
// then Monit against the same farm; prints one JSON line. Shared machine: figures are noisy.
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { startMonitoring, type TandemEvent } from '../../core/health/index.ts'
import { Config, createInventory, type Inventory } from '../../core/inventory/index.ts'
import { openStore } from '../../core/store/index.ts'
import { startFarm } from './_probe-farm-control.ts'
import { measureMonit } from './_probe-monit.ts'

const TARGETS = Number(process.env.BENCH_TARGETS ?? 10_000)
const INTERVAL_S = Number(process.env.BENCH_INTERVAL ?? 10)
const WINDOW_S = Number(process.env.BENCH_WINDOW ?? 30)
const FAIL_SHARE = 0.01
const FALL = 3
const TIMEOUT_MS = 2_000
const quiet = { debug() {}, info() {}, warn() {}, error() {} }

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-probe-'))
  const farm = await startFarm(TARGETS, 4)
  try {
    const tandem = await measureTandem(farm, dir)
    const monit =
      process.env.BENCH_MONIT === '0' ? null : await measureMonit(farm, dir, INTERVAL_S, WINDOW_S)
    const ratio = monit ? round(tandem.cpuUsPerCheck / monit.cpuUsPerCheck, 2) : null
    console.log(JSON.stringify({ bench: 'probe', ...tandem, monit, cpuRatioVsMonit: ratio }))
  } finally {
    farm.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function measureTandem(farm: Awaited<ReturnType<typeof startFarm>>, dir: string) {
  const inventory = buildInventory(farm.targets)
  const store = await openStore(`file:${join(dir, 'tandem.db')}`)
  // What the process holds before monitoring anything: node, tsx, libSQL, zod, the inventory.
  const baselineRss = process.memoryUsage().rss
  const seen: { event: TandemEvent; arrived: number }[] = []
  const monitoring = await startMonitoring({
    inventory,
    store,
    log: quiet,
    onEvents: (events) => {
      const arrived = Date.now()
      for (const event of events) seen.push({ event, arrived })
    },
  })
  const writes = async () =>
    Number((await store.client.execute('SELECT total_changes() AS n')).rows[0]!.n)
  // Warm-up: every check up, then one more interval so connections are all kept alive.
  await waitFor(
    () => monitoring.snapshot().checks.every((c) => c.state === 'up'),
    4 * INTERVAL_S * 1000,
  )
  await sleep(INTERVAL_S * 1000)

  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const cpu0 = process.cpuUsage()
  const { completed: done0, late: late0 } = monitoring.stats()
  const writes0 = await writes()
  const t0 = performance.now()
  let rss = 0
  for (let s = 0; s < WINDOW_S; s++) {
    await sleep(1000)
    rss = Math.max(rss, process.memoryUsage().rss)
  }
  const cpu = process.cpuUsage(cpu0)
  const seconds = (performance.now() - t0) / 1000
  const { completed, late } = monitoring.stats()
  const checks = completed - done0
  delay.disable()
  // A separate, shorter window for the stall watcher: its 5 ms timer must not weigh on the CPU figure.
  const gaps = watchGaps()
  await sleep(Math.min(10, WINDOW_S) * 1000)
  const ownBlockMaxMs = gaps.stop()
  const steady = {
    checksPerSec: round(checks / seconds),
    cpuUsPerCheck: round((cpu.user + cpu.system) / checks),
    cpuSystemUsPerCheck: round(cpu.system / checks),
    rssMb: round(rss / 1024 / 1024),
    rssBaselineMb: round(baselineRss / 1024 / 1024),
    eventLoopDelayP99Ms: round(delay.percentile(99) / 1e6),
    eventLoopOwnBlockMaxMs: ownBlockMaxMs,
    lateChecks: late - late0,
    loadAverage: round(loadavg()[0]!),
    dbWritesPerInterval: round(((await writes()) - writes0) / (seconds / INTERVAL_S)),
  }
  const detection = process.env.BENCH_DETECT === '0' ? null : await measureDetection(farm, seen)
  await monitoring.stop()
  store.close()
  return { targets: TARGETS, intervalMs: INTERVAL_S * 1000, ...steady, detection }
}

/** Fails 1 % of the targets (a third answer 500, a third hang, a third refuse) and times the events. */
async function measureDetection(
  farm: Awaited<ReturnType<typeof startFarm>>,
  seen: { event: TandemEvent; arrived: number }[],
) {
  const count = Math.max(3, Math.round(TARGETS * FAIL_SHARE))
  const step = Math.floor(TARGETS / count)
  const chosen = Array.from({ length: count }, (_, i) => i * step + (i % step))
  const injected = new Map<string, number>()
  const before = seen.length
  for (const [mode, part] of [
    ['fail', 0],
    ['hang', 1],
    ['refuse', 2],
  ] as const) {
    const indexes = chosen.filter((_, i) => i % 3 === part)
    await farm.setMode(indexes, mode)
    const at = Date.now()
    for (const i of indexes) injected.set(targetId(i), at)
  }
  const floor = FALL * INTERVAL_S * 1000 + TIMEOUT_MS
  await waitFor(
    () => seen.slice(before).filter((s) => s.event.type === 'check.failed').length >= count,
    floor + 15_000,
  ).catch(() => {})
  await sleep(2000)
  const failed = seen.slice(before).filter((s) => s.event.type === 'check.failed')
  const latencies = failed
    .filter((s) => injected.has(s.event.subject))
    .map((s) => s.arrived - injected.get(s.event.subject)! - floor)
    .sort((a, b) => a - b)
  const falseDowns =
    failed.filter((s) => !injected.has(s.event.subject)).length +
    seen.filter((s) => s.event.type === 'node.down').length
  await farm.setMode(chosen, 'ok')
  return {
    floorMs: floor,
    p50MinusFloorMs: percentile(latencies, 50),
    p99MinusFloorMs: percentile(latencies, 99),
    detected: latencies.length,
    injected: count,
    falseDowns,
  }
}

/** Target i of the farm is real server `node<a>` of service `s<p>` (address a, port offset p). */
function buildInventory(targets: [string, number][]): Inventory {
  const addresses = [...new Set(targets.map(([address]) => address))]
  const ports = [...new Set(targets.map(([, port]) => port))]
  const nodes = addresses.map((address, a) => ({ name: `node${a + 1}`, address }))
  const services = ports.map((port, p) => ({
    name: `s${p}`,
    real_servers: addresses
      .filter((address) => targets.some(([a, q]) => a === address && q === port))
      .map((address) => ({ node: `node${addresses.indexOf(address) + 1}`, port })),
    checks: [
      {
        name: 'http',
        kind: 'http',
        path: '/healthz',
        interval: `${INTERVAL_S}s`,
        timeout: `${TIMEOUT_MS}ms`,
        rise: 1,
        fall: FALL,
      },
    ],
  }))
  return createInventory(Config.parse({ monitor: { max_concurrency: 512 }, nodes, services }))
}

/**
 * The event-loop delay on a shared, loaded machine is mostly time spent waiting for a CPU.
 * This tells the two apart: for each stall over 20 ms, the CPU this process used during it
 * (its own blocking); returns the largest, in ms.
 */
function watchGaps(): { stop(): number } {
  let last = performance.now()
  let lastCpu = process.cpuUsage()
  let worst = 0
  const timer = setInterval(() => {
    const now = performance.now()
    const cpu = process.cpuUsage()
    if (now - last > 20) {
      const used = (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000
      worst = Math.max(worst, used)
    }
    last = now
    lastCpu = cpu
  }, 5)
  return {
    stop() {
      clearInterval(timer)
      return round(worst)
    },
  }
}

function targetId(i: number): string {
  return `s${i % 1000}/node${1 + Math.floor(i / 1000)}/http`
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error('[bench] timed out')
    await sleep(500)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

await main()
