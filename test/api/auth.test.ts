// Every route declares a scope; each answers 401 without a token, 403 with the wrong scope, 2xx with the right one.
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, routeTable, type Scope } from '../../core/api/index.ts'
import { createLogger } from '../../core/log.ts'
import { createMetrics } from '../../core/metrics/index.ts'
import { call, type Harness, seedIncident, startHarness } from './harness.ts'

interface Example {
  path: string
  body?: unknown
  headers?: Record<string, string>
}

/** One working request per route (a route added without an example fails the walk below). */
type Seed = Awaited<ReturnType<typeof seedIncident>>
const examples: Record<string, (seed: Seed, n: number) => Example | Promise<Example>> = {
  'GET /healthz': () => ({ path: '/healthz' }),
  'GET /readyz': () => ({ path: '/readyz' }),
  'GET /api/v1/openapi.json': () => ({ path: '/api/v1/openapi.json' }),
  'GET /metrics': () => ({ path: '/metrics' }),
  'GET /api/v1/whoami': () => ({ path: '/api/v1/whoami' }),
  'GET /api/v1/status': () => ({ path: '/api/v1/status' }),
  'GET /api/v1/lvs/connections': () => ({ path: '/api/v1/lvs/connections' }),
  'GET /api/v1/targets': () => ({ path: '/api/v1/targets?limit=5' }),
  'GET /api/v1/targets/:target{.+}': () => ({ path: '/api/v1/targets/web/node1/http' }),
  'GET /api/v1/events': () => ({ path: '/api/v1/events?type=node.down' }),
  'GET /api/v1/incidents': () => ({ path: '/api/v1/incidents?status=open' }),
  'GET /api/v1/incidents/:id': (s) => ({ path: `/api/v1/incidents/${s.incidentId}` }),
  'GET /api/v1/policies': () => ({ path: '/api/v1/policies' }),
  'GET /api/v1/stream': () => ({ path: '/api/v1/stream' }),
  'POST /api/v1/actions': (_s, n) => ({
    path: '/api/v1/actions',
    body: { uses: 'lvs.drain', with: { service: 'web', node: 'node2' }, reason: 'route walk' },
    headers: { 'idempotency-key': `route-walk-${n}` },
  }),
  'GET /api/v1/approvals': () => ({ path: '/api/v1/approvals' }),
  'POST /api/v1/approvals/:id/approve': (s) => ({
    path: `/api/v1/approvals/${s.approvalId}/approve`,
    body: { reason: 'looks right' },
  }),
  'POST /api/v1/approvals/:id/deny': (s) => ({
    path: `/api/v1/approvals/${s.approvalId}/deny`,
    body: { reason: 'not now' },
  }),
  'GET /api/v1/silences': () => ({ path: '/api/v1/silences' }),
  'GET /api/v1/config': () => ({ path: '/api/v1/config' }),
  'POST /api/v1/config/preview': async (_s, n) => ({
    path: '/api/v1/config/preview',
    body: { version: await configVersion(), changes: [walkLabel(n)] },
  }),
  'POST /api/v1/config': async (_s, n) => {
    const version = await configVersion()
    const changes = [walkLabel(n)]
    const res = await call(h, 'POST', '/api/v1/config/preview', {
      token: h.tokens.admin,
      body: { version, changes },
    })
    const { preview } = (await res.json()) as { preview: string }
    return { path: '/api/v1/config', body: { version, changes, preview, message: `walk ${n}` } }
  },
  'POST /api/v1/silences': () => ({
    path: '/api/v1/silences',
    body: { matchers: [{ label: 'node', value: 'node2' }], duration: '1h', comment: 'disk swap' },
  }),
  'DELETE /api/v1/silences/:id': (s) => ({ path: `/api/v1/silences/${s.silenceId}` }),
  'POST /ingest/alertmanager': (_s, n) => ({
    path: '/ingest/alertmanager',
    body: {
      version: '4',
      groupKey: '{}:{alertname="X"}',
      status: 'firing',
      receiver: 'tandem',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'X' },
          startsAt: new Date(n * 1000).toISOString(),
          fingerprint: `fp${n}`,
        },
      ],
    },
  }),
  'GET /': () => ({ path: '/' }),
  'GET /incidents/:id': (s) => ({ path: `/incidents/${s.incidentId}` }),
  'GET /ui/panels': () => ({ path: '/ui/panels' }),
  'GET /ui/incidents/:id': (s) => ({ path: `/ui/incidents/${s.incidentId}` }),
  'GET /ui/editor': () => ({ path: '/ui/editor' }),
}

/** A valid token that lacks the scope a route needs. */
const WRONG: Record<Scope, Scope> = {
  read: 'ingest',
  operate: 'read',
  fence: 'operate', // fence sits above operate on the ladder
  ingest: 'read',
  admin: 'operate',
}

let h: Harness
let n = 0
let configDir: string
beforeAll(async () => {
  // The editor's routes write their config: a copy of the demo's, not the repository's.
  configDir = await mkdtemp(join(tmpdir(), 'tandem-auth-config-'))
  await copyFile('tandem.yaml', join(configDir, 'tandem.yaml'))
  h = await startHarness({ configFile: join(configDir, 'tandem.yaml') })
})
afterAll(async () => {
  await h?.close()
  if (configDir) await rm(configDir, { recursive: true, force: true })
})

async function configVersion(): Promise<string> {
  const res = await call(h, 'GET', '/api/v1/config', { token: h.tokens.admin })
  return ((await res.json()) as { version: string }).version
}

/** A harmless edit that differs each time, so every save changes the file. */
function walkLabel(n: number) {
  return { op: 'set', at: ['services', { name: 'web' }, 'labels', 'walk'], value: `w${n}` }
}

describe('route table', () => {
  it('lists every route the app serves, each with a scope and an example here', async () => {
    const app = createApp({
      store: h.store,
      inventory: h.inventory,
      metrics: createMetrics(),
      log: createLogger({ level: 'silent' }),
    })
    const served = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`)
    const declared = routeTable.map((r) => `${r.method} ${r.path}`)
    expect(new Set(served)).toEqual(new Set(declared))
    for (const entry of routeTable) {
      const name = `${entry.method} ${entry.path}`
      expect(['public', 'signed', 'read', 'operate', 'fence', 'ingest', 'admin']).toContain(
        entry.access,
      )
      if (entry.access !== 'signed') expect(examples[name], `${name} has no example`).toBeDefined()
    }
    // Signed routes check their own signature; api-ingest and api-approvals test each of them.
    expect(
      routeTable.filter((r) => r.access === 'signed').map((r) => `${r.method} ${r.path}`),
    ).toEqual(['POST /ingest/webhook/:source', 'GET /approve/:token', 'POST /approve/:token'])
  })

  it('documents every route with its scope in the OpenAPI document', async () => {
    const doc = (await (await call(h, 'GET', '/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { 'x-tandem-scope': string }>>
    }
    for (const entry of routeTable) {
      const path = entry.path.replace(/:([A-Za-z_]+)(\{[^}]*\})?/g, '{$1}')
      expect(doc.paths[path]?.[entry.method.toLowerCase()]?.['x-tandem-scope']).toBe(entry.access)
    }
  })
})

describe.each(routeTable.filter((r) => r.access !== 'signed'))(
  '$method $path ($access)',
  (entry) => {
    const example = async () => {
      const seed = await seedIncident(h.store, Date.now(), `walk${++n}`)
      return await examples[`${entry.method} ${entry.path}`]!(seed, n)
    }
    const send = async (token?: string) => {
      const e = await example()
      const res = await call(h, entry.method, e.path, { token, body: e.body, headers: e.headers })
      if (entry.path === '/api/v1/stream') await res.body?.cancel()
      return res
    }

    if (entry.access === 'public') {
      it('answers without a token', async () => {
        expect((await send()).status).toBeLessThan(300)
      })
      return
    }
    const scope = entry.access as Scope
    it('is 401 without a token, and with a forged or X-Forwarded-For one', async () => {
      expect((await send()).status).toBe(401)
      expect((await send('tdm_not-a-real-token')).status).toBe(401)
      const e = await example()
      const res = await call(h, entry.method, e.path, {
        body: e.body,
        headers: { ...e.headers, 'x-forwarded-for': '127.0.0.1', 'x-forwarded-user': 'admin' },
      })
      expect(res.status).toBe(401)
    })
    it(`is 403 with a token lacking "${scope}"`, async () => {
      expect((await send(h.tokens[WRONG[scope]])).status).toBe(403)
    })
    it(`is 2xx with a "${scope}" token`, async () => {
      const res = await send(h.tokens[scope])
      expect(res.status, res.bodyUsed ? '' : await res.text()).toBeLessThan(300)
    })
  },
)

describe('request hygiene', () => {
  it('refuses state-changing requests that are not JSON (415) and bodies over the limit (413)', async () => {
    const form = await call(h, 'POST', '/api/v1/silences', {
      token: h.tokens.operate,
      body: 'matchers=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(form.status).toBe(415)
    const big = await call(h, 'POST', '/api/v1/silences', {
      token: h.tokens.operate,
      body: { comment: 'x'.repeat(70_000), matchers: [] },
    })
    expect(big.status).toBe(413)
  })

  it('answers bad input with 400 naming the field', async () => {
    const res = await call(h, 'POST', '/api/v1/silences', {
      token: h.tokens.operate,
      body: { matchers: [{ label: 'node', op: '=~', value: '(' }], duration: '1h', comment: 'x' },
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { issues: { field: string }[] } }
    expect(body.error.issues.map((i) => i.field)).toContain('matchers.0.value')
  })

  it('never shows secrets: fence options stay out, secret-looking step inputs are redacted', async () => {
    const seed = await seedIncident(h.store, Date.now(), 'secrets')
    const bodies = await Promise.all(
      [
        '/api/v1/status',
        `/api/v1/incidents/${seed.incidentId}`,
        '/ui/panels',
        `/ui/incidents/${seed.incidentId}`,
      ].map(async (path) => (await call(h, 'GET', path, { token: h.tokens.read })).text()),
    )
    for (const text of bodies) {
      expect(text).not.toContain('hunter2')
      expect(text).not.toContain('TANDEM_DEMO_IPMI_PASSWORD')
      expect(text).not.toContain('127.0.1.101') // the fence device's own address is an option too
    }
  })

  it('refuses a revoked token', async () => {
    const { createApiToken, revokeApiToken } = await import('../../core/api/index.ts')
    const { token, id } = await createApiToken(h.store, { name: 'leaver', scopes: ['read'] })
    expect((await call(h, 'GET', '/api/v1/status', { token })).status).toBe(200)
    expect(await revokeApiToken(h.store, id)).toBe(1)
    expect((await call(h, 'GET', '/api/v1/status', { token })).status).toBe(401)
  })
})
