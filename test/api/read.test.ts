// Read routes: status laid over the inventory, event filters and paging, incident timelines, silences, policies, metrics.
// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are explored as plain JSON here
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { events, fenceStates, healthStates, policyStates } from '../../core/store/index.ts'
import { call, type Harness, health, seedIncident, startHarness } from './harness.ts'

let h: Harness
let seed: Awaited<ReturnType<typeof seedIncident>>
beforeAll(async () => {
  h = await startHarness()
  const now = Date.now()
  seed = await seedIncident(h.store, now, 'read')
  await h.store.db.insert(fenceStates).values({
    node: 'node2',
    state: 'fenced',
    method: 'ipmi-node2',
    incidentId: seed.incidentId,
    updatedAt: now,
  })
  await h.store.db.insert(healthStates).values([
    {
      ...health('service/web', 'service', 'degraded', now - 30_000),
      detail: { realServers: { node2: { weight: 0 }, node1: { weight: 5 } } },
    },
    { ...health('vm/guest1', 'vm', 'up', now - 10_000), detail: { host: 'node3' } },
  ])
  await h.store.db.insert(policyStates).values([
    {
      file: 'policies/node-down.yaml',
      name: 'node-down-failover',
      hash: 'abc',
      loadedAt: now - 60_000,
    },
    {
      file: 'policies/drain.yaml',
      name: 'drain',
      hash: 'def',
      loadedAt: now - 60_000,
      lastError:
        'policies/drain.yaml:4:9: steps[0].uses: unknown action "lvs.dran"; did you mean "lvs.drain"?',
      lastErrorAt: now - 1_000,
    },
  ])
})
afterAll(async () => h?.close())

const get = async <T>(path: string) => {
  const res = await call(h, 'GET', path, { token: h.tokens.read })
  expect(res.status, path).toBe(200)
  return (await res.json()) as T
}

describe('GET /api/v1/status', () => {
  it('lays health, fence state, live weights and placement over the demo inventory', async () => {
    const status = await get<any>('/api/v1/status')
    expect(status.cluster).toEqual({ name: 'demo', manager: 'rgmanager' })
    expect(status.nodes.map((n: any) => n.name)).toEqual([
      'director',
      'storage1',
      'node1',
      'node2',
      'node3',
    ])
    const node2 = status.nodes.find((n: any) => n.name === 'node2')
    expect(node2).toMatchObject({
      health: { state: 'down' },
      fence: { state: 'fenced', method: 'ipmi-node2' },
    })
    expect(node2.fenceLevels).toEqual([['ipmi-node2'], ['gnbd']])
    const web = status.services.find((s: any) => s.name === 'web')
    expect(web.lvs).toMatchObject({
      address: '192.0.2.10',
      port: 80,
      scheduler: 'wrr',
      forwarding: 'masq',
    })
    expect(web.realServers.find((r: any) => r.node === 'node2')).toMatchObject({
      port: 8080,
      weight: 5,
      liveWeight: 0,
      health: { state: 'down' },
    })
    const db = status.services.find((s: any) => s.name === 'db')
    expect(db.cluster).toMatchObject({ manager: 'rgmanager', name: 'db', owner: 'node3' })
    expect(db.sharedStorage).toBe(true)
    expect(status.nodes.find((n: any) => n.name === 'node3').clusterServices).toEqual(['db'])
    expect(status.vms.find((v: any) => v.name === 'guest1')).toMatchObject({
      host: 'node3',
      declaredHost: 'node2',
    })
    expect(status.summary).toMatchObject({
      openIncidents: 1,
      pendingApprovals: 1,
      activeSilences: 1,
    })
    expect(status.problems.map((p: any) => p.target)).toEqual(
      expect.arrayContaining(['node/node2', 'web/node2/http', 'service/web']),
    )
  })

  it('pages every target and shows one by name', async () => {
    const page = await get<any>('/api/v1/targets?limit=2')
    expect(page.items).toHaveLength(2)
    const rest = await get<any>(
      `/api/v1/targets?limit=50&cursor=${encodeURIComponent(page.nextCursor)}`,
    )
    expect(page.items.length + rest.items.length).toBe(6)
    expect(rest.nextCursor).toBeNull()
    expect(await get<any>('/api/v1/targets/web/node2/http')).toMatchObject({
      state: 'down',
      kind: 'check',
    })
    expect(
      (await get<any>('/api/v1/targets?state=down')).items.map((t: any) => t.target).sort(),
    ).toEqual(['node/node2', 'web/node2/http'])
  })
})

describe('GET /api/v1/events', () => {
  it('filters by type, subject prefix and labels, and pages newest first', async () => {
    const base = Date.now()
    await h.store.db.insert(events).values(
      Array.from({ length: 25 }, (_, i) => ({
        type: i % 2 ? 'check.failed' : 'check.recovered',
        subject: `web/node${(i % 3) + 1}/http`,
        at: base + i,
        labels: { severity: i % 2 ? 'warning' : 'info', node: `node${(i % 3) + 1}` },
        payload: {},
      })),
    )
    const failed = await get<any>('/api/v1/events?type=check.failed&limit=5')
    expect(failed.items).toHaveLength(5)
    expect(failed.items.every((e: any) => e.type === 'check.failed')).toBe(true)
    const ids: number[] = failed.items.map((e: any) => e.id)
    expect([...ids].sort((a, b) => b - a)).toEqual(ids)
    let cursor = failed.nextCursor
    const seen = [...ids]
    while (cursor) {
      const page = await get<any>(`/api/v1/events?type=check.failed&limit=5&cursor=${cursor}`)
      seen.push(...page.items.map((e: any) => e.id))
      cursor = page.nextCursor
    }
    expect(seen).toHaveLength(12)
    expect(new Set(seen).size).toBe(12)
    const node2 = await get<any>(
      '/api/v1/events?subject=web/node2*&label=severity=warning&limit=100',
    )
    expect(node2.items.length).toBeGreaterThan(0)
    expect(
      node2.items.every(
        (e: any) => e.subject === 'web/node2/http' && e.labels.severity === 'warning',
      ),
    ).toBe(true)
    const bad = await call(h, 'GET', '/api/v1/events?cursor=nonsense', { token: h.tokens.read })
    expect(bad.status).toBe(400)
  })
})

describe('GET /api/v1/incidents/:id', () => {
  it('tells the story in order: evidence, policy, steps with commands, approval, notice', async () => {
    const detail = await get<any>(`/api/v1/incidents/${seed.incidentId}`)
    expect(detail.incident).toMatchObject({ title: 'node2 is down', status: 'open' })
    expect(detail.runs[0].steps.map((s: any) => s.status)).toEqual(['succeeded', 'blocked'])
    expect(detail.runs[0].steps[0].input.password).toBe('***')
    const kinds = detail.timeline.map((t: any) => t.kind)
    expect(kinds.indexOf('evidence')).toBeLessThan(kinds.indexOf('policy'))
    expect(kinds.indexOf('policy')).toBeLessThan(kinds.indexOf('step'))
    expect(kinds.at(-1)).toBe('notice')
    const fence = detail.timeline.find(
      (t: any) => t.kind === 'step' && t.title.startsWith('fence node2'),
    )
    expect(fence).toMatchObject({
      status: 'succeeded',
      detail: 'node2 is off (confirmed by status)',
      commands: [{ argv: ['fence_lab', '--action', 'off'] }],
    })
    expect(detail.notices[0]).toMatchObject({ receiver: 'oncall-mail', status: 'delivered' })
    expect((await call(h, 'GET', '/api/v1/incidents/nope', { token: h.tokens.read })).status).toBe(
      404,
    )
  })

  it('lists incidents with their run count', async () => {
    const list = await get<any>('/api/v1/incidents')
    expect(list.items[0]).toMatchObject({ id: seed.incidentId, runs: 1, lastRunStatus: 'running' })
  })
})

describe('silences and maintenance windows', () => {
  it('creates, lists and expires them', async () => {
    const created = await call(h, 'POST', '/api/v1/silences', {
      token: h.tokens.operate,
      body: {
        kind: 'maintenance',
        matchers: [{ label: 'node', op: '=~', value: 'node[23]' }],
        duration: '2h',
        comment: 'kernel update',
      },
    })
    expect(created.status).toBe(201)
    const silence = (await created.json()) as any
    expect(silence).toMatchObject({
      kind: 'maintenance',
      state: 'active',
      createdBy: 'operate-user',
    })
    expect(silence.endsAt - silence.startsAt).toBe(7_200_000)
    const active = await get<any>('/api/v1/silences?state=active&kind=maintenance')
    expect(active.items.map((s: any) => s.id)).toContain(silence.id)
    const expired = await call(h, 'DELETE', `/api/v1/silences/${silence.id}`, {
      token: h.tokens.operate,
    })
    expect(((await expired.json()) as any).state).toBe('expired')
    expect((await get<any>('/api/v1/silences')).items.map((s: any) => s.id)).not.toContain(
      silence.id,
    )
    expect(
      (await call(h, 'DELETE', '/api/v1/silences/sil_none', { token: h.tokens.operate })).status,
    ).toBe(404)
  })

  it('refuses a window that ends before it starts or in the past', async () => {
    const res = await call(h, 'POST', '/api/v1/silences', {
      token: h.tokens.operate,
      body: {
        matchers: [{ label: 'node', value: 'node1' }],
        endsAt: '2001-01-01T00:00:00Z',
        comment: 'x',
      },
    })
    expect(res.status).toBe(400)
  })
})

describe('policies and metrics', () => {
  it('shows which policy files run and which edit was rejected', async () => {
    const { items } = await get<any>('/api/v1/policies')
    expect(items.map((p: any) => [p.file, p.state])).toEqual([
      ['policies/drain.yaml', 'stale'],
      ['policies/node-down.yaml', 'loaded'],
    ])
  })

  it('exposes store gauges at scrape time in Prometheus text format', async () => {
    const res = await call(h, 'GET', '/metrics', { token: h.tokens.read })
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4')
    const text = await res.text()
    expect(text).toContain('tandem_targets{kind="node",state="down"} 1\n')
    expect(text).toContain('tandem_nodes_fence_state{state="fenced"} 1\n')
    expect(text).toContain('tandem_approvals_pending 1\n')
    expect(text).toContain('tandem_outbox_notices{status="delivered"} 1\n')
    expect(text).toContain('tandem_policy_files{state="stale"} 1\n')
    expect(text).toContain('tandem_store_up 1\n')
    expect(text).toMatch(/tandem_db_latency_seconds_count\{op="ping"\} \d+/)
    expect(text).toMatch(/tandem_http_requests_total\{route="\/api\/v1\/status",status="2xx"\} \d+/)
  })
})
