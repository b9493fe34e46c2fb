// Property-based fuzzing of every route with every scope: no 5xx, no scope escalation, the server keeps serving.
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { allows, routeTable, type Scope } from '../../core/api/index.ts'
import { createRegistry, holdsScope } from '../../core/plugin-host/index.ts'
import { runs } from '../../core/store/index.ts'
import { builtinPlugins } from '../../plugins/index.ts'
import { type Harness, startHarness } from './harness.ts'

/** Requests per run of `npm test`; `TANDEM_FUZZ_RUNS=20000` for a long run. */
const RUNS = Number(process.env.TANDEM_FUZZ_RUNS ?? 400)

let h: Harness
let configDir: string
beforeAll(async () => {
  // A copy of the demo config, so the editor's routes (admin) read and write a real file.
  configDir = await mkdtemp(join(tmpdir(), 'tandem-fuzz-config-'))
  await copyFile('tandem.yaml', join(configDir, 'tandem.yaml'))
  h = await startHarness({
    configFile: join(configDir, 'tandem.yaml'),
    webhookSecrets: { lab: ['whsec_ZGVtby13ZWJob29rLXNlY3JldA=='] },
    policies: () => [
      {
        name: 'planned-maintenance',
        steps: [
          { name: 'drain', uses: 'lvs.drain' },
          { name: 'live-migrate its guests', uses: 'xen.migrate' },
        ],
      },
    ],
  })
})
afterAll(async () => {
  await h?.close()
  if (configDir) await rm(configDir, { recursive: true, force: true })
})

const HOSTILE = [
  '',
  '../../etc/passwd',
  '%2e%2e%2f',
  '\u0000',
  "' OR 1=1 --",
  '$(reboot)',
  '(.*.*.*.*.*.*)*X',
  'a'.repeat(5000),
  '\r\nX-Injected: 1',
  '🙂',
  '99999999999999999999',
  '-1',
  'NaN',
  'node2',
  'fence.fence',
  'planned-maintenance',
]
const text = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 40 }))
const deep = fc.integer({ min: 1, max: 5000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`)
const actionBody = fc.record(
  {
    uses: fc.oneof(fc.constantFrom(...createRegistry(builtinPlugins).actionNames()), text),
    policy: fc.oneof(fc.constant('planned-maintenance'), text),
    with: fc.dictionary(fc.constantFrom('node', 'service', 'vm', 'to', 'x'), fc.jsonValue()),
    dryRun: fc.oneof(fc.boolean(), fc.jsonValue()),
    reason: text,
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
)
/** Well-formed requests, so the scope checks (not only the schemas) are what answers. */
const validAction = fc.constantFrom(
  { uses: 'lvs.drain', with: { service: 'web', node: 'node2' }, reason: 'r' },
  { uses: 'lvs.wait_drained', with: { service: 'web', node: 'node2' }, reason: 'r' },
  { uses: 'fence.fence', with: { node: 'node2' }, reason: 'r' },
  { uses: 'xen.migrate', with: { vm: 'guest1', to: 'node3' }, reason: 'r', dryRun: true },
  { policy: 'planned-maintenance', with: { node: 'node1' }, reason: 'r' },
)
/** Editor change sets: well-formed shapes with hostile names, paths and values. */
const configEdit = fc.record(
  {
    version: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), text),
    changes: fc.array(
      fc.oneof(
        fc.record({
          op: fc.constantFrom('add', 'set', 'remove'),
          at: fc.array(fc.oneof(text, fc.record({ name: text }), fc.record({ node: text })), {
            maxLength: 5,
          }),
          value: fc.jsonValue(),
        }),
        fc.record({ op: fc.constant('replace'), file: text, text }),
      ),
      { maxLength: 3 },
    ),
    preview: fc.stringMatching(/^[0-9a-f]{64}$/),
    message: text,
    commit: fc.oneof(fc.boolean(), fc.jsonValue()),
  },
  { requiredKeys: [] },
)
const body = fc.oneof(
  validAction.map((b) => JSON.stringify(b)),
  configEdit.map((b) => JSON.stringify(b)),
  actionBody.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  deep,
  text,
  fc
    .record({
      matchers: fc.array(
        fc.record({ label: text, op: fc.constantFrom('=', '!=', '=~', '!~', '~'), value: text }),
        { maxLength: 3 },
      ),
      startsAt: fc.oneof(text, fc.double()),
      duration: text,
      comment: text,
    })
    .map((v) => JSON.stringify(v)),
)
const TOKEN_NAMES = ['none', 'garbage', 'read', 'operate', 'fence', 'ingest', 'admin'] as const
const request = fc.record({
  route: fc.integer({ min: 0, max: routeTable.length - 1 }),
  token: fc.constantFrom(...TOKEN_NAMES),
  param: text,
  body,
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/json; charset=x', ''),
  key: fc.oneof(
    fc.constant(undefined),
    text,
    fc.constant('fuzz-key-0001'),
    fc.uuid().map((u) => `fuzz-${u}`),
  ),
  query: fc.oneof(
    fc.constant(''),
    text.map((t) => `?limit=${encodeURIComponent(t)}&since=${encodeURIComponent(t)}`),
  ),
})

const ACTIONS_ROUTE = routeTable.findIndex((r) => r.path === '/api/v1/actions')
/** A quarter of the requests are well-formed action requests from a random token. */
const anyRequest = fc.oneof(
  { weight: 3, arbitrary: request },
  {
    weight: 1,
    arbitrary: fc.record({
      route: fc.constant(ACTIONS_ROUTE),
      token: fc.constantFrom(...TOKEN_NAMES),
      param: fc.constant(''),
      body: validAction.map((b) => JSON.stringify(b)),
      contentType: fc.constant('application/json'),
      key: fc.uuid().map((u) => `fuzz-${u}`),
      query: fc.constant(''),
    }),
  },
)

const figures = { requests: 0, routes: new Set<string>(), byStatus: new Map<number, number>() }

it(
  `answers ${RUNS} random and hostile requests without a 5xx or a scope escalation`,
  async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest, async (r) => {
        const entry = routeTable[r.route]!
        const path = entry.path
          .replace(/:[a-z]+(\{[^}]*\})?/g, () => encodeURIComponent(r.param) || 'x')
          .concat(entry.method === 'GET' ? r.query : '')
        const headers: Record<string, string> = {}
        const token = tokenOf(r.token)
        if (token) headers.authorization = `Bearer ${token}`
        if (r.contentType) headers['content-type'] = r.contentType
        if (r.key !== undefined) headers['idempotency-key'] = r.key.replace(/[^\x20-\x7e]/g, '')
        const res = await fetch(`${h.url}${path}`, {
          method: entry.method,
          headers,
          body: entry.method === 'GET' ? undefined : r.body,
          signal: AbortSignal.timeout(10_000),
        })
        await res.body?.cancel()
        figures.requests++
        figures.routes.add(`${entry.method} ${entry.path}`)
        figures.byStatus.set(res.status, (figures.byStatus.get(res.status) ?? 0) + 1)
        expect(res.status, `${entry.method} ${path} as ${r.token}`).toBeLessThan(500)
        // A token route answers 2xx only to a caller holding its scope.
        if (res.status < 300 && entry.access !== 'public' && entry.access !== 'signed') {
          const held = heldScopes(r.token)
          expect(allows(held, entry.access), `${entry.path} as ${r.token}`).toBe(true)
        }
      }),
      {
        numRuns: RUNS,
        seed: process.env.TANDEM_FUZZ_SEED ? Number(process.env.TANDEM_FUZZ_SEED) : undefined,
      },
    )
    // Every queued run's action (or every step of its policy) was within its requester's scopes.
    const registry = createRegistry(builtinPlugins)
    const queued = await h.store.db.select().from(runs)
    expect(queued.length).toBeGreaterThan(0)
    for (const run of queued) {
      const uses =
        typeof run.trigger.uses === 'string' ? [run.trigger.uses] : ['lvs.drain', 'xen.migrate']
      const held = heldScopes(tokenNameOf(run.actor))
      for (const u of uses)
        expect(holdsScope(held, registry.action(u).action.scope), `${run.actor} queued ${u}`).toBe(
          true,
        )
    }
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200)
    const statuses = [...figures.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`)
    console.info(
      `[fuzz] ${figures.requests} requests over ${figures.routes.size}/${routeTable.length} routes; 5xx = 0; ${statuses.join(' ')}`,
    )
    expect(figures.routes.size).toBe(routeTable.length)
  },
  Math.max(120_000, RUNS * 30),
)

function tokenOf(name: (typeof TOKEN_NAMES)[number]): string | undefined {
  if (name === 'none') return undefined
  if (name === 'garbage') return 'tdm_not-a-real-token'
  return h.tokens[name]
}

function heldScopes(name: string): Scope[] {
  return (['read', 'operate', 'fence', 'ingest', 'admin'] as const).includes(name as Scope)
    ? [name as Scope]
    : []
}

/** `api:operate-user` → `operate` (the harness names each token after its scope). */
function tokenNameOf(actor: string): string {
  return actor.replace(/^api:/, '').replace(/-user$/, '')
}
