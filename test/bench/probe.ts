// `npm run bench:probe`: the real scheduler, probes and health engine against a loopback farm,
// then Monit against the same farm; prints one JSON line. Shared machine: figures are noisy.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildIsCurrent } from '../../bin/source.js'
import { type Farm, startFarm } from './_probe-farm-control.ts'
import { measureMonit } from './_probe-monit.ts'
import {
  type SeenEvent,
  startMonitor,
  type WindowEnd,
  type WindowStats,
} from './_probe-monitor-control.ts'

const TARGETS = Number(process.env.BENCH_TARGETS ?? 10_000)
const INTERVAL_S = Number(process.env.BENCH_INTERVAL ?? 10)
const WINDOW_S = Number(process.env.BENCH_WINDOW ?? 30)
const FAIL_SHARE = 0.01
const FALL = 3
const TIMEOUT_MS = 2_000

async function main(): Promise<void> {
  // Measure what `npm ci` installs: tandem run from its build, not through tsx.
  if (!buildIsCurrent())
    execFileSync(
      process.execPath,
      [fileURLToPath(new URL('../../bin/build.js', import.meta.url))],
      {
        stdio: 'inherit',
      },
    )
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-probe-'))
  const farm = await startFarm(TARGETS, 4, Number(process.env.BENCH_BASE_PORT ?? 20_000))
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

async function measureTandem(farm: Farm, dir: string) {
  const configFile = join(dir, 'tandem.yaml')
  writeFileSync(configFile, JSON.stringify(buildConfig(farm.targets)))
  const monitor = startMonitor(configFile, `file:${join(dir, 'tandem.db')}`)
  try {
    const { stages } = await monitor.ready
    // Warm-up: every check up, then one more interval so connections are all kept alive.
    await waitFor(
      async () => (await monitor.call<{ allUp: boolean }>('snapshot')).allUp,
      4 * INTERVAL_S * 1000,
    )
    await sleep(INTERVAL_S * 1000)

    const start = await monitor.call<WindowStats>('window-start')
    const t0 = performance.now()
    let rss = 0
    for (let s = 0; s < WINDOW_S; s++) {
      await sleep(1000)
      rss = Math.max(rss, monitor.rssKb())
    }
    const end = await monitor.call<WindowEnd>('window-end')
    const seconds = (performance.now() - t0) / 1000
    const checks = end.completed - start.completed
    // A separate, shorter window for the stall watcher: its 5 ms timer must not weigh on the CPU figure.
    await monitor.call('gaps-start')
    await sleep(Math.min(10, WINDOW_S) * 1000)
    const { ownBlockMaxMs } = await monitor.call<{ ownBlockMaxMs: number }>('gaps-end')
    const steady = {
      checksPerSec: round(checks / seconds),
      cpuUsPerCheck: round((end.cpu.user + end.cpu.system) / checks),
      cpuSystemUsPerCheck: round(end.cpu.system / checks),
      rssMb: round(rss / 1024),
      rssBaselineMb: stages.store as number,
      rssPeakMb: round(monitor.peakRssKb() / 1024),
      rssStagesMb: stages,
      heapUsedMb: end.heapUsedMb,
      heapTotalMb: end.heapTotalMb,
      externalMb: end.externalMb,
      eventLoopDelayP99Ms: round(end.delayP99Ms),
      eventLoopOwnBlockMaxMs: ownBlockMaxMs,
      lateChecks: end.late - start.late,
      loadAverage: round(loadavg()[0]!),
      dbWritesPerInterval: round((end.writes - start.writes) / (seconds / INTERVAL_S)),
    }
    const detection =
      process.env.BENCH_DETECT === '0' ? null : await measureDetection(farm, monitor.seen)
    return { targets: TARGETS, intervalMs: INTERVAL_S * 1000, ...steady, detection }
  } finally {
    await monitor.stop()
  }
}

/** Fails 1 % of the targets (a third answer 500, a third hang, a third refuse) and times the events. */
async function measureDetection(farm: Farm, seen: SeenEvent[]) {
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
    () => seen.slice(before).filter((s) => s.type === 'check.failed').length >= count,
    floor + 15_000,
  ).catch(() => {})
  await sleep(2000)
  const failed = seen.slice(before).filter((s) => s.type === 'check.failed')
  const latencies = failed
    .filter((s) => injected.has(s.subject))
    .map((s) => s.arrived - injected.get(s.subject)! - floor)
    .sort((a, b) => a - b)
  const falseDowns =
    failed.filter((s) => !injected.has(s.subject)).length +
    seen.filter((s) => s.type === 'node.down').length
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
function buildConfig(targets: [string, number][]) {
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
  return { monitor: { max_concurrency: 512 }, nodes, services }
}

function targetId(i: number): string {
  return `s${i % 1000}/node${1 + Math.floor(i / 1000)}/http`
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

async function waitFor(done: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('[bench] timed out')
    await sleep(500)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

await main()
