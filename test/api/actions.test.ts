// POST /api/v1/actions: one Idempotency-Key is one queued run, whatever the retries; fencing needs its own scope.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../core/api/index.ts'
import { createLogger } from '../../core/log.ts'
import { createMetrics } from '../../core/metrics/index.ts'
import { definePlugin, z } from '../../core/plugin/index.ts'
import { createRegistry } from '../../core/plugin-host/index.ts'
import { auditLog, events, runs } from '../../core/store/index.ts'
import { call, type Harness, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => h?.close())

const drain = {
  uses: 'lvs.drain',
  with: { service: 'web', node: 'node2' },
  reason: 'disk swap on node2',
}
const post = (body: unknown, key: string | undefined, token = h.tokens.operate) =>
  call(h, 'POST', '/api/v1/actions', {
    token,
    body,
    headers: key ? { 'idempotency-key': key } : {},
  })
const runsWithKey = async (key: string) =>
  (await h.store.db.select().from(runs)).filter((r) => r.trigger.idempotencyKey === key)

describe('POST /api/v1/actions', () => {
  it('queues one run and one manual event for the executor', async () => {
    const res = await post(drain, 'drain-node2-0001')
    expect(res.status).toBe(202)
    const accepted = (await res.json()) as { runId: string; eventId: number }
    expect(accepted).toMatchObject({
      status: 'queued',
      dryRun: false,
      idempotencyKey: 'drain-node2-0001',
    })
    const [run] = await h.store.db.select().from(runs).where(eq(runs.id, accepted.runId))
    expect(run).toMatchObject({
      status: 'queued',
      policy: 'manual',
      actor: 'api:operate-user',
      dryRun: false,
      trigger: {
        kind: 'manual',
        uses: 'lvs.drain',
        with: { service: 'web', node: 'node2' },
        eventId: accepted.eventId,
      },
    })
    const [event] = await h.store.db.select().from(events).where(eq(events.id, accepted.eventId))
    expect(event).toMatchObject({
      type: 'manual',
      subject: 'node2',
      labels: { node: 'node2', service: 'web' },
    })
    const audit = await h.store.db.select().from(auditLog).where(eq(auditLog.runId, accepted.runId))
    expect(audit).toHaveLength(1)
  })

  it('returns the first answer for the same key, sequentially and concurrently, queuing once', async () => {
    const first = await (await post(drain, 'drain-node2-0002')).json()
    const again = await post(drain, 'drain-node2-0002')
    expect(again.status).toBe(202)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.json()).toEqual(first)
    const burst = await Promise.all(
      Array.from({ length: 8 }, () => post(drain, 'drain-node2-0003')),
    )
    expect(burst.map((r) => r.status)).toEqual(Array(8).fill(202))
    const ids = new Set(
      await Promise.all(burst.map(async (r) => ((await r.json()) as { runId: string }).runId)),
    )
    expect(ids.size).toBe(1)
    expect(await runsWithKey('drain-node2-0002')).toHaveLength(1)
    expect(await runsWithKey('drain-node2-0003')).toHaveLength(1)
  })

  it('refuses the same key with a different request (422) and a missing key (400)', async () => {
    await post(drain, 'drain-node2-0004')
    const other = await post(
      { ...drain, with: { service: 'web', node: 'node3' } },
      'drain-node2-0004',
    )
    expect(other.status).toBe(422)
    expect((await post(drain, undefined)).status).toBe(400)
    expect(await runsWithKey('drain-node2-0004')).toHaveLength(1)
  })

  it('records a dry run as such, and a manual policy run by name', async () => {
    const dry = (await (await post({ ...drain, dryRun: true }, 'dry-run-0001')).json()) as {
      runId: string
    }
    const policy = (await (
      await post(
        { policy: 'planned-maintenance', with: { node: 'node3' }, reason: 'kernel update' },
        'policy-run-0001',
      )
    ).json()) as { runId: string }
    const [dryRun] = await h.store.db.select().from(runs).where(eq(runs.id, dry.runId))
    const [policyRun] = await h.store.db.select().from(runs).where(eq(runs.id, policy.runId))
    expect(dryRun?.dryRun).toBe(true)
    expect(policyRun).toMatchObject({
      policy: 'planned-maintenance',
      status: 'queued',
      trigger: { policy: 'planned-maintenance' },
    })
  })

  it('needs the fence scope to fence or migrate', async () => {
    const fence = { uses: 'fence.fence', with: { node: 'node2' }, reason: 'node2 hangs' }
    expect((await post(fence, 'fence-node2-0001', h.tokens.operate)).status).toBe(403)
    const migrate = {
      uses: 'xen.migrate',
      with: { vm: 'guest1', to: 'node3' },
      reason: 'rebalance',
    }
    expect((await post(migrate, 'migrate-0001', h.tokens.operate)).status).toBe(403)
    expect((await post(fence, 'fence-node2-0002', h.tokens.fence)).status).toBe(202)
    expect((await post(fence, 'fence-node2-0003', h.tokens.admin)).status).toBe(202)
  })
})

describe('with a plugin registry', () => {
  it('checks the action name and its input against the plugin schema before queuing', async () => {
    const lvs = definePlugin({
      name: 'lvs',
      description: 'test double of the lvs plugin schema',
      config: z.object({}),
      actions: {
        drain: {
          description: 'drain a real server',
          input: z.object({ service: z.string(), node: z.string() }),
          describe: () => [],
          run: async () => ({ summary: 'not run in this test' }),
          idempotent: true,
          destructive: true,
          scope: 'operate',
        },
      },
    })
    const app = createApp({
      store: h.store,
      inventory: h.inventory,
      registry: createRegistry([lvs]),
      metrics: createMetrics(),
      log: createLogger({ level: 'silent' }),
    })
    const send = (body: unknown, key: string) =>
      app.request('/api/v1/actions', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${h.tokens.operate}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify(body),
      })
    const unknown = await send({ ...drain, uses: 'lvs.dran' }, 'registry-0001')
    expect(unknown.status).toBe(400)
    expect(await unknown.text()).toContain('did you mean \\"lvs.drain\\"')
    const bad = await send({ ...drain, with: { service: 'web' } }, 'registry-0002')
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('with.node')
    expect((await send(drain, 'registry-0003')).status).toBe(202)
  })
})
