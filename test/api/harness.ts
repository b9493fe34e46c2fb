// Shared set-up of the API tests: a real store file, the demo inventory, tokens per scope, a real HTTP server.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import {
  type ApiConfig,
  type AppDeps,
  createApiToken,
  createApp,
  type Scope,
} from '../../core/api/index.ts'
import {
  createInventory,
  type Inventory,
  loadConfig,
  parseConfig,
} from '../../core/inventory/index.ts'
import { createLogger } from '../../core/log.ts'
import { createMetrics, type Metrics } from '../../core/metrics/index.ts'
import { createRegistry } from '../../core/plugin-host/index.ts'
import {
  approvals,
  events,
  healthStates,
  incidents,
  openStore,
  outbox,
  runs,
  type Store,
  silences,
  steps,
} from '../../core/store/index.ts'
import { builtinPlugins } from '../../plugins/index.ts'

export interface Harness {
  url: string
  store: Store
  inventory: Inventory
  metrics: Metrics
  /** One token per scope, plus `none` (a valid token with no useful scope: ingest only). */
  tokens: Record<Scope, string>
  dir: string
  close(): Promise<void>
}

export const LINK_SECRET = 'test-link-secret-0123456789abcdef'

/** Starts tandem's app on 127.0.0.1:<random> over a fresh file store. */
export async function startHarness(
  options: ApiConfig & { policies?: AppDeps['policies']; configFile?: string } = {},
): Promise<Harness> {
  const { policies, configFile, ...config } = options
  const dir = await mkdtemp(join(tmpdir(), 'tandem-api-'))
  const store = await openStore(`file:${join(dir, 'tandem.db')}`)
  // With a config file the editor's routes read and write it; without, they answer 404.
  const inventory = createInventory(
    configFile
      ? await loadConfig(configFile)
      : parseConfig('tandem.yaml', await readFile('tandem.yaml', 'utf8')),
  )
  const metrics = createMetrics()
  const log = createLogger({ level: 'silent', destination: process.stderr })
  const app = createApp({
    store,
    inventory,
    // The real actions, so each request is checked against the scope its action declares.
    registry: createRegistry(builtinPlugins),
    configFile,
    policies,
    metrics,
    log,
    config: { linkSecret: LINK_SECRET, streamPollMs: 100, ...config },
  })
  const tokens = {} as Record<Scope, string>
  for (const scope of ['read', 'operate', 'fence', 'ingest', 'admin'] as const)
    tokens[scope] = (await createApiToken(store, { name: `${scope}-user`, scopes: [scope] })).token
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    inventory,
    metrics,
    tokens,
    dir,
    async close() {
      if ('closeAllConnections' in server) server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** fetch with a bearer token and JSON body helpers. */
export function call(
  h: Harness,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] ??= 'application/json'
  return fetch(`${h.url}${path}`, {
    method,
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  })
}

/**
 * Writes what the health, policy and executor areas would write for "node2 is down":
 * the event, an incident, a run with a fence step (succeeded), a relocate step waiting for
 * approval, and a notice.
 */
export async function seedIncident(store: Store, now = Date.now(), suffix = '1') {
  const [event] = await store.db
    .insert(events)
    .values({
      type: 'node.down',
      subject: 'node2',
      at: now - 60_000,
      labels: { severity: 'critical', node: 'node2' },
      payload: { detail: 'ssh: connection refused from director and cluster membership' },
    })
    .returning()
  const incidentId = `inc_${suffix}`
  const runId = `run_${suffix}`
  await store.db.insert(incidents).values({
    id: incidentId,
    key: `node.down:node2:${suffix}`,
    status: 'open',
    title: 'node2 is down',
    openedAt: now - 59_000,
    eventId: event?.id,
  })
  await store.db.insert(runs).values({
    id: runId,
    incidentId,
    policy: 'node-down-failover',
    trigger: { eventId: event?.id },
    status: 'running',
    actor: 'policy',
    startedAt: now - 58_000,
  })
  await store.db.insert(steps).values([
    {
      id: `${runId}/1`,
      runId,
      index: 1,
      name: 'fence node2',
      uses: 'fence.fence',
      input: { node: 'node2', password: 'hunter2-should-never-show' },
      commands: [['fence_lab', '--action', 'off']],
      status: 'succeeded',
      idempotencyKey: `${incidentId}/1`,
      target: 'node/node2',
      result: { summary: 'node2 is off (confirmed by status)' },
      startedAt: now - 57_000,
      finishedAt: now - 50_000,
    },
    {
      id: `${runId}/2`,
      runId,
      index: 2,
      name: 'relocate db',
      uses: 'rgmanager.relocate',
      input: { service: 'db', node: 'node3' },
      // The executor may store PlannedCommand objects rather than bare argv arrays.
      commands: [
        { argv: ['clusvcadm', '-r', 'db', '-m', 'node3'], node: 'node1', note: 'move db to node3' },
      ] as unknown as string[][],
      status: 'blocked',
      blockedBy: 'approval',
      idempotencyKey: `${incidentId}/2`,
      target: 'service/db',
    },
  ])
  await store.db.insert(approvals).values({
    id: `apr_${suffix}`,
    stepId: `${runId}/2`,
    status: 'pending',
    requestedAt: now - 49_000,
    expiresAt: now + 15 * 60_000,
  })
  await store.db.insert(outbox).values({
    id: `ntc_${suffix}`,
    receiver: 'oncall-mail',
    groupKey: `node.down:node2:${suffix}`,
    payload: { incidentId, title: 'node2 is down: fenced, waiting for approval' },
    status: 'delivered',
    nextAttemptAt: now,
    createdAt: now - 48_000,
    deliveredAt: now - 47_000,
  })
  await store.db
    .insert(healthStates)
    .values([
      health('node/node2', 'node', 'down', now - 60_000),
      health('web/node2/http', 'check', 'down', now - 61_000),
      health('web/node1/http', 'check', 'up', now - 3_600_000),
      { ...health('service/db', 'service', 'up', now - 40_000), detail: { owner: 'node3' } },
    ])
    .onConflictDoNothing()
  await store.db.insert(silences).values({
    id: `sil_${suffix}`,
    kind: 'maintenance',
    matchers: [{ label: 'node', op: '=', value: 'node2' }],
    startsAt: now - 1_000,
    endsAt: now + 3_600_000,
    createdBy: 'alice',
    comment: 'replacing a disk',
  })
  return {
    eventId: event?.id ?? 0,
    incidentId,
    runId,
    approvalId: `apr_${suffix}`,
    stepId: `${runId}/2`,
    silenceId: `sil_${suffix}`,
  }
}

/** A health row as the health area writes it. */
export function health(target: string, kind: string, state: string, since: number) {
  return { target, kind, state, since, updatedAt: since }
}
