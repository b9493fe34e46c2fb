// Issue 17 findings 3–6 at the HTTP edge: linear matchers, credentials before bodies, bounded input, per-token keys.
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { matchesAll } from '../../core/inventory/index.ts'
import { runs, silences } from '../../core/store/index.ts'
import { call, type Harness, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ webhookSecrets: { known: ['whsec_ZGVtby13ZWJob29rLXNlY3JldA=='] } })
})
afterAll(async () => h?.close())

const REDOS = '(.*.*.*.*.*.*)*X'
const silence = (matchers: unknown[], extra: Record<string, unknown> = {}) =>
  call(h, 'POST', '/api/v1/silences', {
    token: h.tokens.operate,
    body: { matchers, duration: '1h', comment: 'test', ...extra },
  })
const errorOf = async (res: Response) => JSON.stringify(await res.json())

describe('finding 3: matchers are RE2, anchored, validated when written', () => {
  it('accepts the ReDoS pattern and matches it against a long label in milliseconds', async () => {
    const res = await silence([{ label: 'service', op: '=~', value: REDOS }])
    expect(res.status).toBe(201)
    const label = 'a'.repeat(4096)
    // CPU time, not wall time: a loaded machine stretches the second, not the work.
    const started = process.cpuUsage()
    expect(matchesAll({ service: label }, [{ label: 'service', op: '=~', value: REDOS }])).toBe(
      false,
    )
    const { user, system } = process.cpuUsage(started)
    expect((user + system) / 1000).toBeLessThan(50)
    // Anchored, as Alertmanager's: a part of the value is not a match.
    expect(
      matchesAll({ service: 'webserver' }, [{ label: 'service', op: '=~', value: 'web' }]),
    ).toBe(false)
  })

  it('refuses a pattern RE2 cannot run with 400 naming the field and the position', async () => {
    const res = await silence([{ label: 'service', op: '=~', value: 'web(?=x)' }])
    expect(res.status).toBe(400)
    const text = await errorOf(res)
    expect(text).toContain('matchers.0.value')
    expect(text).toContain('at position 3')
    const long = await silence([{ label: 'service', op: '=~', value: 'a'.repeat(1025) }])
    expect(long.status).toBe(400)
  })
})

describe('finding 4: credentials are checked before the body is read', () => {
  it('answers an unknown webhook source and a forged approval link before their bodies arrive', async () => {
    // Headers promise a body; only a few bytes of it are ever sent. An answer proves the server
    // did not wait for (or buffer) the rest.
    for (const [path, length] of [
      ['/ingest/webhook/unknown', 3_000_000],
      ['/ingest/webhook/known', 3_000_000], // known source, but no signature headers
      ['/approve/forged.token-value', 60_000],
    ] as const) {
      const head = await rawPost(path, length)
      expect(head, path).toMatch(/^HTTP\/1\.1 (401|403) /)
    }
  })
})

describe('finding 5: hostile input is a 400 naming the field, never a 500', () => {
  it('refuses 30 000-deep nesting in a policy request', async () => {
    const deep = `{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}`
    const body = `{"policy":"planned-maintenance","reason":"x","with":${deep}}`
    const res = await call(h, 'POST', '/api/v1/actions', {
      token: h.tokens.admin,
      body,
      headers: { 'idempotency-key': 'deep-nesting-0001' },
    })
    expect(res.status).toBe(400)
    expect(await errorOf(res)).toContain('with.a.0.0')
  })

  it('refuses a silence starting in the year 3 billion, and a stored one does not break the dashboard', async () => {
    const res = await silence([{ label: 'node', value: 'node1' }], {
      startsAt: '99999999999999999999',
    })
    expect(res.status).toBe(400)
    expect(await errorOf(res)).toContain('startsAt')
    // A row written before inputs were bounded: the page still renders, with the good rows.
    await h.store.db.insert(silences).values({
      id: 'sil_bad_row',
      kind: 'silence',
      matchers: [{ label: 'node', op: '=', value: 'node1' }],
      startsAt: 1e20,
      endsAt: 1e20 + 3_600_000,
      createdBy: 'old-api',
      comment: 'stored before the bounds',
    })
    const page = await call(h, 'GET', '/ui/panels', { token: h.tokens.read })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('stored before the bounds')
  })

  it('refuses a silence longer than 366 days and a container of more than 10,000 items', async () => {
    const long = await silence([{ label: 'node', value: 'node1' }], { duration: '400d' })
    expect(long.status).toBe(400)
    expect(await errorOf(long)).toContain('duration')
    const wide = await call(h, 'POST', '/api/v1/actions', {
      token: h.tokens.admin,
      body: { uses: 'lvs.drain', reason: 'x', with: { list: Array(10_001).fill(0) } },
      headers: { 'idempotency-key': 'wide-array-0001' },
    })
    expect(wide.status).toBe(400)
    expect(await errorOf(wide)).toContain('with.list')
  })

  it('refuses an Alertmanager label of 1.1 MB, naming it', async () => {
    const res = await call(h, 'POST', '/ingest/alertmanager', {
      token: h.tokens.ingest,
      body: {
        version: '4',
        groupKey: 'g',
        status: 'firing',
        receiver: 'tandem',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'Big', blob: 'x'.repeat(1_100_000) },
            startsAt: new Date().toISOString(),
          },
        ],
      },
    })
    expect(res.status).toBe(400)
    expect(await errorOf(res)).toContain('alerts.0.labels.blob')
  })
})

describe('finding 6: strict requests, Idempotency-Key per token and canonical', () => {
  const drain = { uses: 'lvs.drain', with: { service: 'web', node: 'node2' }, reason: 'r' }
  const post = (body: unknown, key: string, token: string) =>
    call(h, 'POST', '/api/v1/actions', { token, body, headers: { 'idempotency-key': key } })

  it('refuses an unknown top-level field, naming it', async () => {
    const res = await post({ ...drain, dryrun: true }, 'strict-0001', h.tokens.operate)
    expect(res.status).toBe(400)
    expect(await errorOf(res)).toContain('dryrun')
  })

  it('never hands one token the answer given to another for the same key', async () => {
    const first = (await (await post(drain, 'shared-key-0001', h.tokens.operate)).json()) as {
      runId: string
    }
    const other = await post(drain, 'shared-key-0001', h.tokens.fence)
    expect(other.status).toBe(202)
    expect(other.headers.get('idempotent-replayed')).toBeNull()
    const second = (await other.json()) as { runId: string }
    expect(second.runId).not.toBe(first.runId)
    const queued = (await h.store.db.select().from(runs)).filter(
      (r) => r.trigger.idempotencyKey === 'shared-key-0001',
    )
    expect(queued.map((r) => r.actor).sort()).toEqual(['api:fence-user', 'api:operate-user'])
  })

  it('replays the same request whatever its key order', async () => {
    await post(drain, 'key-order-0001', h.tokens.operate)
    const reordered = { reason: 'r', with: { node: 'node2', service: 'web' }, uses: 'lvs.drain' }
    const again = await post(reordered, 'key-order-0001', h.tokens.operate)
    expect(again.status).toBe(202)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
  })
})

/** POSTs headers promising `length` bytes, sends 16 of them, returns the status line or ''. */
function rawPost(path: string, length: number): Promise<string> {
  const { hostname, port } = new URL(h.url)
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    let answer = ''
    const done = () => {
      socket.destroy()
      resolve(answer.split('\r\n')[0] ?? '')
    }
    const timer = setTimeout(done, 3_000)
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1')
      if (answer.includes('\r\n')) {
        clearTimeout(timer)
        done()
      }
    })
    socket.on('error', done)
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{"events":[    `,
    )
  })
}
