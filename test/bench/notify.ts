// `npm run bench:notify`: 10,000 notices through the durable outbox (file store, WAL, fsync) to a
// local webhook receiver, as a burst and at a steady 100/s. One JSON line: throughput, enqueue→delivered
// latency, memory (RSS and heap after a burst, and after a second one: flat or growing?).
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { outbox } from '../../core/store/index.ts'
import { notifyHarness } from '../notify/harness.ts'
import { newWebhookSecret } from '../notify/webhook-receiver.ts'

const NOTICES = Number(process.env.BENCH_NOTICES ?? 10_000)
const WARMUP = 1_000
const BATCH = 100

const secret = newWebhookSecret()
const verifier = new Webhook(secret)
const receivedAt = new Map<string, number>()
let verified = 0
// A lean receiver: records arrival times, verifies one signature in a hundred (the check costs CPU
// this process shares with the sender).
const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const id = String(req.headers['webhook-id'])
    if (receivedAt.size % 100 === 0) {
      verifier.verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>)
      verified++
    }
    if (!receivedAt.has(id)) receivedAt.set(id, Date.now())
    res.writeHead(200).end()
  })
})
server.keepAliveTimeout = 30_000
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`

const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-notify-'))
const h = await notifyHarness({
  env: { HOOK: secret },
  storeUrl: `file:${join(dir, 'tandem.db')}`,
  clock: { now: Date.now, advance() {} },
  yaml: `
channels:
  - name: ops
    type: webhook
    with: { url: "${url}", secrets: [env:HOOK], allow: [127.0.0.1/32] }
routes: { receiver: ops, group_by: ['...'], group_wait: 0s }
`,
})
h.notifier.start()

let sent = 0

/** Sends `count` check failures in batches of `batch`, `gapMs` apart; resolves when all arrived. */
interface Round {
  ms: number
  p50: number
  p99: number
  max: number
}

async function round(count: number, batch: number, gapMs: number): Promise<Round> {
  const started = Date.now()
  for (let i = 0; i < count; i += batch) {
    const at = Date.now()
    await h.notifier.onEvents(
      Array.from({ length: Math.min(batch, count - i) }, () => {
        const n = sent++
        return {
          type: 'check.failed' as const,
          subject: `web/node${n % 200}/http${n}`,
          at,
          labels: {
            severity: 'warning',
            node: `node${n % 200}`,
            service: 'web',
            check: `http${n}`,
          },
          payload: { detail: 'HTTP 503 from /healthz' },
        }
      }),
    )
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs))
  }
  while (receivedAt.size < sent) await new Promise((resolve) => setTimeout(resolve, 10))
  const ms = Date.now() - started
  const rows = await h.store.db.select({ id: outbox.id, createdAt: outbox.createdAt }).from(outbox)
  const latencies = rows
    .filter((r) => r.createdAt >= started)
    .map((r) => (receivedAt.get(r.id) ?? Number.NaN) - r.createdAt)
    .sort((a, b) => a - b)
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]
  return {
    ms,
    p50: pct(50) ?? Number.NaN,
    p99: pct(99) ?? Number.NaN,
    max: latencies.at(-1) ?? Number.NaN,
  }
}

const gc = (globalThis as { gc?: () => void }).gc
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10
const memory = () => {
  gc?.()
  const m = process.memoryUsage()
  return { rss: mb(m.rss), heap: mb(m.heapUsed) }
}

await round(WARMUP, BATCH, 0)
const start = memory()
// A burst: all 10,000 as fast as they can be enqueued (the queue builds up; latency is queueing).
const burst = await round(NOTICES, BATCH, 0)
const afterBurst = memory()
// The same again, only to see whether memory keeps growing (a leak) or holds (a high-water mark).
await round(NOTICES, BATCH, 0)
const afterSecondBurst = memory()
// Steady traffic well below capacity: 100 notices a second for 10 seconds.
const paced = await round(1_000, 10, 100)
const end = memory()
const delivered = (await h.store.db.select({ status: outbox.status }).from(outbox)).filter(
  (r) => r.status === 'delivered',
).length
await h.close()
server.close()
await rm(dir, { recursive: true, force: true })

console.log(
  JSON.stringify({
    bench: 'notify',
    notices: NOTICES,
    burst: {
      seconds: Math.round(burst.ms / 100) / 10,
      perSecond: Math.round((NOTICES / burst.ms) * 1000),
      enqueueToDeliveredMs: { p50: burst.p50, p99: burst.p99, max: burst.max },
    },
    paced: {
      perSecond: 100,
      notices: 1_000,
      enqueueToDeliveredMs: { p50: paced.p50, p99: paced.p99, max: paced.max },
    },
    delivered,
    signaturesVerified: verified,
    rssMb: {
      start: start.rss,
      afterBurst: afterBurst.rss,
      afterSecondBurst: afterSecondBurst.rss,
      end: end.rss,
    },
    heapMb: {
      start: start.heap,
      afterBurst: afterBurst.heap,
      afterSecondBurst: afterSecondBurst.heap,
      end: end.heap,
      gcBeforeEach: gc !== undefined,
    },
  }),
)
