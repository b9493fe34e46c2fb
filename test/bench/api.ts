// bench:api — status at 10,000 targets (p99) and Alertmanager ingest at 1,000 alerts/s (p99) on a file database.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { eq } from 'drizzle-orm'
import { Agent, fetch } from 'undici'
import { createApiToken, createApp } from '../../core/api/index.ts'
import { Config, createInventory } from '../../core/inventory/index.ts'
import { createLogger } from '../../core/log.ts'
import { createMetrics } from '../../core/metrics/index.ts'
import { healthStates, openStore, type Store } from '../../core/store/index.ts'

const NODES = 2_000
const SERVICES = 100
const SERVERS_PER_SERVICE = 30
const STATUS_REQUESTS = 200
const CHANGING_REQUESTS = 50
const INGEST_SECONDS = 5
// A sender keeps a bounded pool of connections, as Alertmanager's HTTP client does.
const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 })

// The server runs in its own process (as it would in production), so the load generator does
// not steal its CPU; the two talk over loopback HTTP.
if (process.argv.includes('--serve')) await serveForBench()
else await runBench()

async function serveForBench() {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-api-'))
  const store = await openStore(`file:${join(dir, 'tandem.db')}`)
  const inventory = createInventory(Config.parse(bigInventory()))
  const targets = await seedHealth(store)
  const app = createApp({
    store,
    inventory,
    metrics: createMetrics(),
    log: createLogger({ level: 'silent' }),
  })
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const read = (await createApiToken(store, { name: 'bench', scopes: ['read'] })).token
  const ingest = (await createApiToken(store, { name: 'am', scopes: ['ingest'] })).token
  const port = (server.address() as AddressInfo).port
  const url = `file:${join(dir, 'tandem.db')}`
  process.stdout.write(`${JSON.stringify({ port, targets, read, ingest, url })}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => {
    server.close()
    store.close()
    void rm(dir, { recursive: true, force: true }).then(() => {
      process.exitCode = 0
      setTimeout(() => process.exit(0), 200).unref()
    })
  })
}

async function runBench() {
  const child = spawn(
    process.execPath,
    [...profileArgs(), '--import', 'tsx', fileURLToPath(import.meta.url), '--serve'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  const first = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))
    child.once('exit', (code) => reject(new Error(`bench server exited ${code}`)))
  })
  const { port, targets, read, ingest, url } = JSON.parse(first) as {
    port: number
    targets: number
    read: string
    ingest: string
    url: string
  }
  const base = `http://127.0.0.1:${port}`
  try {
    const status = await measureStatus(base, read)
    const statusChanging = await measureStatusAfterChanges(base, read, url)
    const grouped = await measureIngest(base, ingest, 100, 10, 'g') // Alertmanager groups: 100 req/s × 10 alerts
    const single = await measureIngest(base, ingest, 1_000, 1, 's') // worst case: one alert per request
    console.log(
      JSON.stringify({
        bench: 'api',
        store: 'file',
        targets,
        loadAverage: loadavg()[0],
        status: { requests: STATUS_REQUESTS, ...status, targetP99Ms: 50 },
        statusAfterEachChange: { requests: CHANGING_REQUESTS, ...statusChanging },
        ingestGrouped: {
          alertsPerSecond: 1_000,
          requestsPerSecond: 100,
          ...grouped,
          targetP99Ms: 100,
        },
        ingestSingle: {
          alertsPerSecond: 1_000,
          requestsPerSecond: 1_000,
          ...single,
          targetP99Ms: 100,
        },
      }),
    )
  } finally {
    await dispatcher.close()
    child.stdin.end()
    await new Promise((resolve) => child.once('exit', resolve))
  }
}

async function measureStatus(base: string, token: string) {
  const get = async () => {
    const res = await fetch(`${base}/api/v1/status`, {
      headers: { authorization: `Bearer ${token}` },
      dispatcher,
    })
    if (res.status !== 200) throw new Error(`status ${res.status}`)
    return res.text()
  }
  for (let i = 0; i < 20; i++) await get()
  const times: number[] = []
  let bytes = 0
  for (let i = 0; i < STATUS_REQUESTS; i++) {
    const start = performance.now()
    bytes = (await get()).length
    times.push(performance.now() - start)
  }
  return { ...percentiles(times), bytes }
}

/** A health row changes before every request, so each one recomputes the status (no cache hit). */
async function measureStatusAfterChanges(base: string, token: string, url: string) {
  const store = await openStore(url, { migrate: false })
  const times: number[] = []
  try {
    for (let i = 0; i < CHANGING_REQUESTS; i++) {
      const now = Date.now()
      await store.db
        .update(healthStates)
        .set({ state: i % 2 ? 'down' : 'up', since: now, updatedAt: now })
        .where(eq(healthStates.target, `node/node${i}`))
      const start = performance.now()
      const res = await fetch(`${base}/api/v1/status`, {
        headers: { authorization: `Bearer ${token}` },
        dispatcher,
      })
      await res.text()
      times.push(performance.now() - start)
    }
  } finally {
    store.close()
  }
  return percentiles(times)
}

/**
 * Open loop: request i is due at start + i/rate whatever happened before, and its latency
 * counts from that due time, so a slow server cannot hide its queue (no coordinated omission).
 */
async function measureIngest(
  base: string,
  token: string,
  perSecond: number,
  alertsPerRequest: number,
  tag: string,
) {
  const total = perSecond * INGEST_SECONDS
  const start = performance.now() + 50
  const latencies: number[] = []
  let failures = 0
  let stored = 0
  await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const due = start + (i * 1000) / perSecond
      await sleep(due - performance.now())
      const body = JSON.stringify(payload(`${tag}${i}`, alertsPerRequest))
      try {
        const res = await fetch(`${base}/ingest/alertmanager`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
          dispatcher,
        })
        if (res.status === 200) stored += ((await res.json()) as { stored: number }).stored
        else {
          failures++
          await res.body?.cancel()
        }
      } catch {
        failures++
      }
      latencies.push(performance.now() - due)
    }),
  )
  return { requests: total, alertsStored: stored, failures, ...percentiles(latencies) }
}

function payload(id: string, count: number) {
  const startsAt = new Date().toISOString()
  return {
    version: '4',
    groupKey: `{}:{alertname="Bench${id}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'tandem',
    groupLabels: { alertname: `Bench${id}` },
    commonLabels: { alertname: `Bench${id}` },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.bench:9093',
    alerts: Array.from({ length: count }, (_, j) => ({
      status: 'firing',
      labels: { alertname: `Bench${id}`, instance: `node${j % NODES}:9100`, severity: 'warning' },
      annotations: { summary: 'bench' },
      startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.bench:9090/graph',
      fingerprint: `${id}-${j}`,
    })),
  }
}

async function seedHealth(store: Store): Promise<number> {
  const now = Date.now()
  const rows: (typeof healthStates.$inferInsert)[] = []
  for (let n = 0; n < NODES; n++) {
    rows.push({
      target: `node/node${n}`, // healthTarget.node: what the status view reads
      kind: 'node',
      state: n % 97 === 0 ? 'down' : 'up',
      since: now,
      updatedAt: now,
    })
    rows.push({
      target: `node/node${n}/ssh`,
      kind: 'check',
      state: 'up',
      since: now,
      updatedAt: now,
    })
  }
  for (let s = 0; s < SERVICES; s++) {
    rows.push({
      target: `service/svc${s}`,
      kind: 'service',
      state: 'up',
      since: now,
      updatedAt: now,
      detail: { owner: `node${s}` },
    })
    for (let r = 0; r < SERVERS_PER_SERVICE; r++)
      for (const check of ['http', 'tcp'])
        rows.push({
          target: `svc${s}/node${(s * SERVERS_PER_SERVICE + r) % NODES}/${check}`,
          kind: 'check',
          state: r % 13 === 0 ? 'down' : 'up',
          since: now,
          updatedAt: now,
          detail: { latencyMs: 3, detail: 'HTTP OK: 200' },
        })
  }
  for (let i = 0; i < rows.length; i += 500)
    await store.db
      .insert(healthStates)
      .values(rows.slice(i, i + 500))
      .onConflictDoNothing()
  return rows.length
}

function bigInventory() {
  return {
    nodes: Array.from({ length: NODES }, (_, n) => ({
      name: `node${n}`,
      address: `127.${1 + Math.floor(n / 250)}.${n % 250}.1`,
      checks: [{ name: 'ssh', kind: 'tcp', port: 22 }],
    })),
    services: Array.from({ length: SERVICES }, (_, s) => ({
      name: `svc${s}`,
      lvs: { director: 'node0', address: '127.0.0.1', port: 10_000 + s },
      real_servers: Array.from({ length: SERVERS_PER_SERVICE }, (_, r) => ({
        node: `node${(s * SERVERS_PER_SERVICE + r) % NODES}`,
        port: 8080,
      })),
      checks: [
        { name: 'http', kind: 'http', port: 8080 },
        { name: 'tcp', kind: 'tcp', port: 8080 },
      ],
    })),
  }
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number) =>
    Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2))
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: Number((sorted.at(-1) ?? 0).toFixed(2)) }
}

/** `bench:api -- --cpu-prof [dir]` profiles the server process (open the .cpuprofile in DevTools). */
function profileArgs(): string[] {
  const at = process.argv.indexOf('--cpu-prof')
  if (at < 0) return []
  const dir =
    process.argv[at + 1] && !process.argv[at + 1]?.startsWith('-') ? process.argv[at + 1] : '.'
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`]
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
}
