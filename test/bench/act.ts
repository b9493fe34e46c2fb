// `npm run bench:act`: from a node.down event, stored as the health engine stores it, to the first
// plugin command spawned, through the real daemon (leader loop → policies → executor) with 1,000
// policy files loaded and the journal on a file database. Prints one JSON line.
import { once } from 'node:events'
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TandemEvent } from '../../core/events/index.ts'
import { createRecorder, type HealthRow } from '../../core/health/index.ts'
import { createLogger } from '../../core/log.ts'
import { loadPolicies } from '../../core/policy/index.ts'
import { loadSite, startDaemon } from '../../core/runtime/index.ts'
import type { Store } from '../../core/store/index.ts'
import { fences } from './_act-plugin.ts'
import { nodeName, policyYaml, siteYaml } from './_act-site.ts'

const POLICIES = 1_000
const WARMUP = 20
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
/** Every iteration takes down a node of its own: no cooldown or open incident is shared. */
const NODES = WARMUP + ITERATIONS + 80
const TARGET_P99_MS = 50
const SPAWN_TIMEOUT_MS = 10_000

const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-act-'))
const receiver = createServer((req, res) => {
  req.resume()
  req.on('end', () => res.writeHead(204).end())
})
receiver.listen(0, '127.0.0.1')
await once(receiver, 'listening')
const { port } = receiver.address() as { port: number }
process.env.BENCH_ACT_WHSEC = `whsec_${Buffer.from('bench-act-signing-key-0123456789').toString('base64')}`

try {
  const configFile = join(dir, 'tandem.yaml')
  const policiesDir = join(dir, 'policies')
  await mkdir(policiesDir)
  const plugin = fileURLToPath(new URL('./_act-plugin.ts', import.meta.url))
  await writeFile(configFile, siteYaml(NODES, join(dir, 'tandem.db'), plugin, port))
  for (let i = 0; i < POLICIES; i++)
    await writeFile(join(policiesDir, `p${String(i).padStart(4, '0')}.yaml`), policyYaml(i, NODES))

  // The loader `tandem check` uses: all 1,000 files must compile (the daemon would only log).
  const site = await loadSite(configFile)
  const loadStart = performance.now()
  const checked = await loadPolicies(policiesDir, site)
  const policyFilesLoadMs = Math.round(performance.now() - loadStart)

  const log = createLogger({ level: process.env.BENCH_LOG ?? 'warn' })
  const daemon = await startDaemon({
    configFile,
    policiesDir,
    listen: '127.0.0.1:0',
    probe: false,
    log,
  })
  const { instance } = daemon
  if (instance.policies.policies().length !== POLICIES)
    throw new Error(`the daemon loaded ${instance.policies.policies().length} policies`)
  // The health engine's recorder, wired as startMonitoring wires it: stored events wake the leader.
  const recorder = createRecorder(instance.store, log, () => instance.wake())
  const now = Date.now()
  const nodes = Array.from({ length: NODES }, (_, i) => nodeName(i))
  recorder.record({
    events: [],
    rows: [
      row('cluster', 'cluster', 'up', now, { members: nodes, source: 'rgmanager.membership' }),
      row('monitor', 'monitor', 'up', now, null),
      ...nodes.map((n) => row(`node/${n}`, 'node', 'up', now, { votes: [], down: 0, up: 2 })),
    ],
  })
  await recorder.flush()
  if (!(await instance.ready(5_000))) throw new Error('the daemon never saw the cluster state')

  // What one node.down meets: the trigger index's candidates and their if: verdicts.
  const sample = await instance.policies.evaluate(transition(nodeName(0), 'up', 'down').events[0]!)
  const samples: number[] = []
  const cpuSamples: number[] = []
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const node = nodeName(i)
    const spawned = spawnOf(node)
    const cpu = process.cpuUsage()
    const start = process.hrtime.bigint()
    recorder.record(transition(node, 'up', 'down'))
    const at = await spawned
    if (i >= WARMUP) {
      samples.push(Number(at.at - start) / 1e6)
      cpuSamples.push((at.cpu.user + at.cpu.system - cpu.user - cpu.system) / 1e3)
    }
    // The run finishes; the node comes back (node.up ends the `for:` timer it started).
    await instance.settle()
    recorder.record(transition(node, 'down', 'up'))
    await recorder.flush()
    await caughtUp(instance.store)
    await instance.settle()
  }
  const timers = (await instance.policies.pending()).length
  await daemon.stop()
  recorder.stop()

  const pct = (p: number, values = samples) => {
    const sorted = [...values].sort((a, b) => a - b)
    return (
      Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 100) / 100
    )
  }
  console.log(
    JSON.stringify({
      bench: 'act',
      measures:
        'node.down handed to the health recorder (wired as startMonitoring wires it) → stored with ' +
        'its health row (commit 1) → leader pass woken → policy match over 1,000 policies → plan → ' +
        'journal: incident, run and step intents (commit 2) → guards, step running + audit (commit 3) ' +
        '→ lease check → first plugin command spawned (runner spawn hook); notices, the for: timer ' +
        'and the cursor are written after it',
      guards:
        'each iteration fences a node of its own (cooldown and incident not shared); max_runs and ' +
        'max_fences set high enough never to refuse, their queries run as usual; the node comes back ' +
        '(node.up) before the next iteration, so monitor_blind never trips',
      policies: checked.length,
      policyFilesLoadMs,
      perEvent: {
        candidates: sample.matches.length + sample.skipped.length,
        match: sample.matches.map((m) => m.policy.name),
      },
      iterations: samples.length,
      p50_ms: pct(0.5),
      p99_ms: pct(0.99),
      max_ms: pct(1),
      // CPU time of this process from the event to the spawn: what a busy machine cannot hide.
      cpu_p50_ms: pct(0.5, cpuSamples),
      cpu_p99_ms: pct(0.99, cpuSamples),
      target_p99_ms: TARGET_P99_MS,
      fsyncMs: fsyncProbe(join(dir, 'fsync-probe')),
      store: 'file (WAL, synchronous=FULL)',
      timersLeft: timers,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    }),
  )
} finally {
  receiver.close()
  await rm(dir, { recursive: true, force: true })
}

/** What one fsync costs on the store's disk right now (three stand before each spawn). */
function fsyncProbe(file: string) {
  const fd = openSync(file, 'w')
  const times: number[] = []
  for (let i = 0; i < 30; i++) {
    writeSync(fd, Buffer.alloc(4096, i))
    const t = performance.now()
    fsyncSync(fd)
    times.push(performance.now() - t)
  }
  closeSync(fd)
  times.sort((a, b) => a - b)
  const at = (p: number) => Math.round(times[Math.floor(p * (times.length - 1))]! * 100) / 100
  return { p50: at(0.5), p90: at(0.9) }
}

/** When the fence of `node` is spawned: hrtime, and this process's CPU usage at that moment. */
function spawnOf(node: string): Promise<{ at: bigint; cpu: NodeJS.CpuUsage }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      fences.off('spawned', listener)
      reject(new Error(`no fence of ${node} was spawned within ${SPAWN_TIMEOUT_MS} ms`))
    }, SPAWN_TIMEOUT_MS)
    const listener = (fenced: string, at: bigint) => {
      if (fenced !== node) return
      clearTimeout(timer)
      fences.off('spawned', listener)
      resolve({ at, cpu: process.cpuUsage() })
    }
    fences.on('spawned', listener)
  })
}

/** What the health engine records when a node's verdict changes: its row and the event. */
function transition(node: string, from: 'up' | 'down', to: 'up' | 'down') {
  const now = Date.now()
  const votes = [
    { vantage: 'monitor', verdict: to, evidence: [`node/${node}/ssh ${to}`] },
    {
      vantage: 'cluster:members',
      verdict: to,
      evidence: [`${node} ${to === 'up' ? 'online' : 'offline'}`],
    },
  ]
  const event: TandemEvent = {
    type: to === 'down' ? 'node.down' : 'node.up',
    subject: node,
    at: now,
    labels: { severity: to === 'down' ? 'critical' : 'info', node },
    payload: {
      node,
      from,
      to,
      quorum: {
        required: 2,
        down: to === 'down' ? 2 : 0,
        up: to === 'up' ? 2 : 0,
        vantagePoints: 2,
      },
      votes,
    },
  }
  const counts = { votes, down: to === 'down' ? 2 : 0, up: to === 'up' ? 2 : 0 }
  return { events: [event], rows: [row(`node/${node}`, 'node', to, now, counts)] }
}

function row(
  target: string,
  kind: HealthRow['kind'],
  state: HealthRow['state'],
  now: number,
  detail: Record<string, unknown> | null,
): HealthRow {
  return {
    target,
    kind,
    state,
    stateType: 'hard',
    flapping: false,
    flapHistory: null,
    since: now,
    detail,
    updatedAt: now,
  }
}

/** Waits until the leader has handled every stored event (its cursor is at the last id). */
async function caughtUp(store: Store) {
  for (;;) {
    const last = await store.client.execute('SELECT max(id) AS id FROM events')
    const cursor = await store.client.execute(
      "SELECT position FROM cursors WHERE name = 'events:remediation'",
    )
    if (Number(cursor.rows[0]?.position ?? 0) >= Number(last.rows[0]?.id ?? 0)) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
