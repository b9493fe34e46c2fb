// `npm run bench:scale`: 4 `tandem run` processes × 10,000 targets on one database file; the farm
// counts every probe per target. Steady state, then repeated SIGKILLs of the leader; one JSON line.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFarm } from './_probe-farm-control.ts'
import {
  cpuMs,
  type InstanceArgs,
  type InstanceProcess,
  pidOf,
  probedBy,
  rssMb,
  type StoreWatch,
  sleep,
  spawnInstance,
  storeFile,
  until,
  watchStore,
  writeInventory,
} from './_scale-site.ts'

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 4)
const TARGETS = Number(process.env.BENCH_TARGETS ?? 10_000)
/** Targets per node (farm address): 40 → 250 nodes, 250 shard groups. */
const PER_NODE = Number(process.env.BENCH_PER_NODE ?? 40)
const INTERVAL_S = Number(process.env.BENCH_INTERVAL ?? 5)
const WINDOW_INTERVALS = Number(process.env.BENCH_WINDOW ?? 6)
const LEASE_MS = Number(process.env.BENCH_LEASE_MS ?? 2_000)
const KILLS = Number(process.env.BENCH_KILLS ?? 10)
const INTERVAL_MS = INTERVAL_S * 1000
/** Heartbeat period of an instance (min(lease/2, 5 s)); dead after three missed beats. */
const BEAT_MS = Math.min(LEASE_MS / 2, 5_000)

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-scale-'))
  // Its own loopback net and ports: bench:probe (127.0.44.x) may run at the same time.
  const farm = await startFarm(TARGETS, 4, 33_000, PER_NODE, 46)
  const args: InstanceArgs = {
    configFile: join(dir, 'tandem.yaml'),
    storeUrl: `file:${storeFile(dir)}`,
    policiesDir: join(dir, 'policies'),
    leaseMs: LEASE_MS,
  }
  mkdirSync(args.policiesDir)
  writeInventory(args.configFile, farm.targets, { intervalS: INTERVAL_S, timeoutMs: 2_000 })
  const load = [round(loadavg()[0]!)]
  let instances: InstanceProcess[] = []
  let store: StoreWatch | undefined
  // Interrupted (Ctrl-C): the instances are this process's children, not the farm's; stop them.
  const interrupted = () => {
    for (const { child } of instances) child.kill('SIGKILL')
    farm.stop()
    rmSync(dir, { recursive: true, force: true })
    process.exit(130)
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    // The first one creates and migrates the file; the rest join it.
    instances.push(await spawnInstance(args))
    instances.push(
      ...(await Promise.all(Array.from({ length: INSTANCES - 1 }, () => spawnInstance(args)))),
    )
    store = watchStore(storeFile(dir))
    const watch = store
    await until(async () => (await watch.live(3 * BEAT_MS)) === INSTANCES, 60_000, 'the live set')
    const warmupMs = await warmUp(farm, Date.now())
    const steady = { warmupMs, ...(await measureSteady(farm, watch, instances)) }
    const failover = await measureFailover(farm, watch, instances, args, (next) => {
      instances = next
    })
    load.push(round(loadavg()[0]!))
    const integrity = (await watch.client.execute('PRAGMA integrity_check')).rows[0]![0]
    console.log(
      JSON.stringify({
        bench: 'scale',
        instances: INSTANCES,
        targets: TARGETS,
        shardGroups: Math.ceil(TARGETS / PER_NODE),
        intervalMs: INTERVAL_MS,
        leaseMs: LEASE_MS,
        steady,
        failover,
        integrity,
        loadAverage: load,
      }),
    )
  } finally {
    for (const { child } of instances) child.kill('SIGKILL')
    store?.close()
    farm.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Steady state: every instance planned its shards for the full live set, restored health and
 * probed every target within one interval (a re-plan restarts a scheduler's phases). Returns
 * how long that took since `from` (all started).
 */
async function warmUp(farm: Awaited<ReturnType<typeof startFarm>>, from: number) {
  await farm.record(true)
  for (;;) {
    const at = Date.now()
    await sleep(INTERVAL_MS + 1_000)
    if ((await farm.since(at)).uncovered === 0) break
    if (Date.now() - from > 300_000) throw new Error('[bench] no steady state after 5 min')
  }
  await farm.record(false)
  return Date.now() - from
}

/** A window of whole intervals: every target's probes as the farm saw them, the store's commits. */
async function measureSteady(
  farm: Awaited<ReturnType<typeof startFarm>>,
  store: StoreWatch,
  instances: InstanceProcess[],
) {
  const shares = instances.map(probedBy)
  await farm.record(true)
  const wal0 = store.walCounters()
  const cpu0 = instances.map((i) => cpuMs(i.pid))
  const t0 = Date.now()
  await sleep(WINDOW_INTERVALS * INTERVAL_MS)
  const t1 = Date.now()
  const wal1 = store.walCounters()
  const cpu = instances.map((i, n) => cpuMs(i.pid) - cpu0[n]!)
  const hits = await farm.hits()
  await farm.record(false)
  const intervals = (t1 - t0) / INTERVAL_MS
  const probes = hits.reduce((n, h) => n + h.length, 0)
  // What the instances must write whatever the target count: heartbeats and lease renewals.
  const coordination = INSTANCES * (INTERVAL_MS / BEAT_MS) + INTERVAL_MS / (LEASE_MS / 4)
  return {
    windowMs: t1 - t0,
    probes,
    expectedProbes: Math.round(TARGETS * intervals),
    ...cadence(hits, t0, t1),
    probedPerInstance: shares,
    cpuPercentPerInstance: cpu.map((ms) => round((100 * ms) / (t1 - t0))),
    cpuUsPerProbe: round((cpu.reduce((a, b) => a + b, 0) * 1000) / probes),
    rssMbPerInstance: instances.map((i) => round(rssMb(i.pid))),
    dbCommitsPerInterval: round((wal1.commits - wal0.commits) / intervals),
    dbCoordinationWritesPerInterval: round(coordination),
    walFramesGrowth: wal1.frames >= wal0.frames ? wal1.frames - wal0.frames : null,
  }
}

/**
 * Per target, the gaps between successive probes: one per interval is a gap near the interval;
 * a gap under half of it is a second probe in one interval, over one and a half a missed one
 * (a target never probed in the window misses every interval).
 */
function cadence(hits: number[][], t0: number, t1: number) {
  let twice = 0
  let missed = 0
  let exact = 0
  let maxGapMs = 0
  /** How many gaps between two probes of one target lasted n seconds (rounded). */
  const gapsS: Record<number, number> = {}
  for (const times of hits) {
    // A quarter interval beyond each edge: a first probe later than 1.25 intervals after t0
    // (or a last one earlier than that before t1) is a missed interval; phase and a little
    // scheduling jitter never are.
    const edges = [t0 - INTERVAL_MS / 4, ...times, t1 + INTERVAL_MS / 4]
    let bad = false
    for (let i = 1; i < edges.length; i++) {
      const gap = edges[i]! - edges[i - 1]!
      const interior = i > 1 && i < edges.length - 1
      if (interior) {
        maxGapMs = Math.max(maxGapMs, gap)
        const s = Math.round(gap / 1000)
        gapsS[s] = (gapsS[s] ?? 0) + 1
      }
      if (interior && gap < INTERVAL_MS / 2) {
        twice++
        bad = true
      } else if (gap > 1.5 * INTERVAL_MS) {
        missed += Math.round(gap / INTERVAL_MS) - 1
        bad = true
      }
    }
    if (!bad) exact++
  }
  return {
    targetsExactlyOncePerInterval: exact,
    probedTwice: twice,
    missedIntervals: missed,
    maxGapMs,
    gapsS,
  }
}

/**
 * SIGKILLs the leader KILLS times. Failover: from the kill to the new leader's lease write
 * (its expires_at minus the lease). Coverage: from the kill until every target was probed again
 * (the dead instance's groups moved to the survivors; floor: one interval). A replacement joins
 * after each kill (a rebalance the other way), so the next kill again finds INSTANCES.
 */
async function measureFailover(
  farm: Awaited<ReturnType<typeof startFarm>>,
  store: StoreWatch,
  start: InstanceProcess[],
  args: InstanceArgs,
  update: (instances: InstanceProcess[]) => void,
) {
  let instances = start
  const failoverMs: number[] = []
  const coverageMs: number[] = []
  const joinMs: number[] = []
  await farm.record(true)
  const t0 = Date.now()
  for (let k = 0; k < KILLS; k++) {
    const before = (await store.leader())!
    const victim = instances.find((i) => i.pid === pidOf(before.holder))
    if (!victim) throw new Error(`[bench] leader ${before.holder} is not one of the instances`)
    const killedAt = Date.now()
    victim.child.kill('SIGKILL')
    instances = instances.filter((i) => i !== victim)
    update(instances)
    let after = before
    await until(
      async () => {
        after = (await store.leader()) ?? before
        return after.token > before.token
      },
      10 * LEASE_MS + 30_000,
      'a new leader',
    )
    failoverMs.push(after.expiresAt - LEASE_MS - killedAt)
    await until(
      async () => (await farm.since(killedAt)).uncovered === 0,
      10 * BEAT_MS + 4 * INTERVAL_MS + 60_000,
      'every target probed again',
    )
    coverageMs.push((await farm.since(killedAt)).latest - killedAt)
    const replacement = await spawnInstance(args)
    instances = [...instances, replacement]
    update(instances)
    await until(async () => (await store.live(3 * BEAT_MS)) >= INSTANCES, 60_000, 'the join')
    joinMs.push(Date.now() - replacement.startedAt)
    // Let the joiner take its share and the others let go of it before the next kill.
    await sleep(2 * BEAT_MS + INTERVAL_MS)
  }
  const t1 = Date.now()
  const churn = cadence(await farm.hits(), t0, t1)
  await farm.record(false)
  return {
    kills: KILLS,
    leaderFailoverMs: summary(failoverMs),
    everyTargetProbedAgainMs: summary(coverageMs),
    replacementStartToLiveMs: summary(joinMs),
    duringChurn: { windowMs: t1 - t0, ...churn },
  }
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
  return { p50: at(50), p99: at(99), max: sorted[sorted.length - 1], all: values }
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

await main()
