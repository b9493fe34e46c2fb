// Ingest: Alertmanager's v4 webhook (retries and HA pairs are one event), signed webhooks, and 503 when nothing can be stored.
import { readFile } from 'node:fs/promises'
import { eq, like } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { events } from '../../core/store/index.ts'
import { call, type Harness, startHarness } from './harness.ts'

const SECRET = `whsec_${Buffer.from('a-webhook-secret-of-32-bytes!!!!').toString('base64')}`
const OLD_SECRET = `whsec_${Buffer.from('the-previous-secret-being-rotated').toString('base64')}`

let h: Harness
let firing: string
beforeAll(async () => {
  h = await startHarness({ webhookSecrets: { nagios: [SECRET, OLD_SECRET] } })
  firing = await readFile('test/fixtures/alertmanager-v4-firing.json', 'utf8')
})
afterAll(async () => h?.close())

const postAlertmanager = (body: string) =>
  call(h, 'POST', '/ingest/alertmanager', { token: h.tokens.ingest, body })

const metricValue = async (series: string) => {
  const text = await (await call(h, 'GET', '/metrics', { token: h.tokens.read })).text()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return Number(line?.split(' ')[1] ?? 0)
}

const alertEvents = () => h.store.db.select().from(events).where(like(events.dedupKey, 'am:%'))

describe('POST /ingest/alertmanager', () => {
  it('stores each alert once across a retry and the HA peer, mapping instances to nodes', async () => {
    const first = await postAlertmanager(firing)
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ received: 2, stored: 2, duplicates: 0 })
    // Alertmanager retries the same bytes after a timeout; its HA peer sends the same alerts
    // with its own externalURL.
    const retry = await postAlertmanager(firing)
    const peer = await postAlertmanager(
      firing.replace('alertmanager-a.demo', 'alertmanager-b.demo'),
    )
    expect(await retry.json()).toEqual({ received: 2, stored: 0, duplicates: 2 })
    expect(await peer.json()).toEqual({ received: 2, stored: 0, duplicates: 2 })
    const rows = await alertEvents()
    expect(rows).toHaveLength(2)
    const node2 = rows.find((r) => r.labels.node === 'node2')
    expect(node2).toMatchObject({
      type: 'alert.received',
      subject: 'NodeExporterDown/node2',
      at: Date.parse('2024-05-14T03:12:45.873Z'),
      labels: {
        alertname: 'NodeExporterDown',
        severity: 'critical',
        source: 'alertmanager',
        node: 'node2',
      },
      payload: { fingerprint: '5a1b1f6b0d1c2a47', summary: 'node2 exporter down' },
    })
  })

  it('stores the resolution as alert.resolved, once, and a later re-fire as a new event', async () => {
    const resolved = firing
      .replaceAll('"status":"firing"', '"status":"resolved"')
      .replaceAll('"endsAt":"0001-01-01T00:00:00Z"', '"endsAt":"2024-05-14T03:20:00Z"')
    expect(await (await postAlertmanager(resolved)).json()).toMatchObject({ stored: 2 })
    expect(await (await postAlertmanager(resolved)).json()).toMatchObject({ stored: 0 })
    const refire = firing.replaceAll('2024-05-14T03:12:45.873Z', '2024-05-14T04:00:00.000Z')
    expect(await (await postAlertmanager(refire)).json()).toMatchObject({ stored: 2 })
    const rows = await alertEvents()
    expect(rows.filter((r) => r.type === 'alert.resolved')).toHaveLength(2)
    expect(rows.filter((r) => r.type === 'alert.received')).toHaveLength(4)
  })

  it('refuses a payload of another version or shape with 400, storing nothing', async () => {
    const before = (await alertEvents()).length
    const v3 = await postAlertmanager(firing.replace('"version":"4"', '"version":"3"'))
    expect(v3.status).toBe(400)
    const broken = await postAlertmanager(
      firing.replace('"startsAt":"2024', '"startsAt":"soon-2024'),
    )
    expect(broken.status).toBe(400)
    expect((await alertEvents()).length).toBe(before)
  })

  it('answers 503 (never 2xx) when the store is read-only, then stores the retry', async () => {
    const fresh = firing.replaceAll('2024-05-14T03:12:45.873Z', '2024-05-15T01:00:00.000Z')
    const before = (await alertEvents()).length
    await h.store.client.execute('PRAGMA query_only = ON')
    try {
      const res = await postAlertmanager(fresh)
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('5')
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'STORE_UNAVAILABLE',
      )
      // Reads still work: the dashboard stays up while the disk is full or read-only.
      expect((await call(h, 'GET', '/api/v1/events', { token: h.tokens.read })).status).toBe(200)
      expect((await call(h, 'GET', '/readyz')).status).toBe(200)
    } finally {
      await h.store.client.execute('PRAGMA query_only = OFF')
    }
    expect((await alertEvents()).length).toBe(before)
    expect(await (await postAlertmanager(fresh)).json()).toMatchObject({ stored: 2 })
  })

  it('stores one event per alert when an HA pair and a retry arrive together (one transaction)', async () => {
    const episode = firing.replaceAll('2024-05-14T03:12:45.873Z', '2024-05-16T02:00:00.000Z')
    const peer = episode.replace('alertmanager-a.demo', 'alertmanager-b.demo')
    const writes = () => metricValue('tandem_db_latency_seconds_count{op="write"}')
    const before = { rows: (await alertEvents()).length, writes: await writes() }
    // Hold the store so the six requests queue up, then let them go at once: they share a batch.
    const held = await h.store.client.transaction('read')
    const answers = Promise.all(
      [episode, peer, episode, peer, episode, peer].map(async (body) => {
        const res = await postAlertmanager(body)
        return { status: res.status, body: (await res.json()) as { stored: number } }
      }),
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    await held.rollback()
    const results = await answers
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect(results.reduce((sum, r) => sum + r.body.stored, 0)).toBe(2)
    expect((await alertEvents()).length).toBe(before.rows + 2)
    expect(await writes()).toBe(before.writes + 1)
  })

  it('answers 503 to every request of a batch the store refuses, and stores them all on retry', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) =>
      firing.replaceAll('2024-05-14T03:12:45.873Z', `2024-05-17T0${i}:00:00.000Z`),
    )
    const before = (await alertEvents()).length
    await h.store.client.execute('PRAGMA query_only = ON')
    try {
      const statuses = await Promise.all(
        bodies.map(async (body) => {
          const res = await postAlertmanager(body)
          await res.body?.cancel()
          return [res.status, res.headers.get('retry-after')]
        }),
      )
      expect(statuses).toEqual(bodies.map(() => [503, '5']))
      expect(
        await metricValue('tandem_ingest_alerts_total{source="alertmanager",outcome="refused"}'),
      ).toBeGreaterThanOrEqual(16)
    } finally {
      await h.store.client.execute('PRAGMA query_only = OFF')
    }
    expect((await alertEvents()).length).toBe(before)
    const retried = await Promise.all(bodies.map((body) => postAlertmanager(body)))
    expect(retried.map((r) => r.status)).toEqual(bodies.map(() => 200))
    expect((await alertEvents()).length).toBe(before + 16)
  })

  it('counts stored and duplicate alerts in /metrics', async () => {
    const text = await (await call(h, 'GET', '/metrics', { token: h.tokens.read })).text()
    expect(text).toMatch(/tandem_ingest_alerts_total\{source="alertmanager",outcome="stored"\} \d+/)
    expect(text).toMatch(
      /tandem_ingest_alerts_total\{source="alertmanager",outcome="duplicate"\} [1-9]/,
    )
  })
})

describe('POST /ingest/webhook/:source (Standard Webhooks)', () => {
  const deliver = (body: string, headers: Record<string, string>) =>
    call(h, 'POST', '/ingest/webhook/nagios', { body, headers })
  const signed = (secret: string, id: string, body: string, at = new Date()) =>
    new Webhook(secret).sign(id, at, body)
  const body = JSON.stringify({
    type: 'alert.received',
    subject: 'web/node3/http',
    labels: { severity: 'warning', node: 'node3', service: 'web' },
    payload: { detail: 'HTTP CRITICAL: 503 Service Unavailable' },
  })
  const headersFor = (id: string, signature: string, at = new Date()) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  })

  it('stores a delivery signed by the package reference implementation, with either rotated secret', async () => {
    const res = await deliver(body, headersFor('msg_1', signed(SECRET, 'msg_1', body)))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ received: 1, stored: 1, duplicates: 0 })
    const old = await deliver(body, headersFor('msg_2', signed(OLD_SECRET, 'msg_2', body)))
    expect(await old.json()).toMatchObject({ stored: 1 })
    const [row] = await h.store.db
      .select()
      .from(events)
      .where(eq(events.dedupKey, 'wh:nagios:msg_1:0'))
    expect(row).toMatchObject({
      type: 'alert.received',
      subject: 'web/node3/http',
      labels: { source: 'nagios' },
    })
  })

  it('answers a replayed delivery id without storing it twice', async () => {
    const replay = await deliver(body, headersFor('msg_1', signed(SECRET, 'msg_1', body)))
    expect(replay.status).toBe(200)
    expect(await replay.json()).toEqual({ received: 1, stored: 0, duplicates: 1 })
  })

  it('refuses stale, future, tampered, unsigned and unknown-source deliveries with 401', async () => {
    const stale = new Date(Date.now() - 6 * 60_000)
    expect(
      (await deliver(body, headersFor('msg_3', signed(SECRET, 'msg_3', body, stale), stale)))
        .status,
    ).toBe(401)
    const future = new Date(Date.now() + 6 * 60_000)
    expect(
      (await deliver(body, headersFor('msg_4', signed(SECRET, 'msg_4', body, future), future)))
        .status,
    ).toBe(401)
    const tampered = body.replace('warning', 'critical')
    expect(
      (await deliver(tampered, headersFor('msg_5', signed(SECRET, 'msg_5', body)))).status,
    ).toBe(401)
    expect((await deliver(body, { 'webhook-id': 'msg_6' })).status).toBe(401)
    const other = await call(h, 'POST', '/ingest/webhook/zabbix', {
      body,
      headers: headersFor('msg_7', signed(SECRET, 'msg_7', body)),
    })
    expect(other.status).toBe(401)
    expect(
      await h.store.db.select().from(events).where(like(events.dedupKey, 'wh:%:msg_%')),
    ).toHaveLength(2)
  })

  it('will not let a webhook claim a node is down', async () => {
    const claim = JSON.stringify({ type: 'node.down', subject: 'node1' })
    const res = await deliver(claim, headersFor('msg_8', signed(SECRET, 'msg_8', claim)))
    expect(res.status).toBe(400)
  })
})
