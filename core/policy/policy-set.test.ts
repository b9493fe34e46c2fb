import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { demo, event } from '../../test/policy/fixtures.ts'
import type { HealthReading, TandemEvent } from '../events/index.ts'
import { createLogger } from '../log.ts'
import { events, healthStates, openStore, policyStates, type Store } from '../store/index.ts'
import { createPolicySet, type PolicySetOptions } from './policy-set.ts'

const failover = (node = 'node2') => `name: failover
on:
  - event: node.down
    node: node*
if: health.quorate
for: 20s
steps:
  - uses: fence.fence
    with: { node: "\${{ event.subject }}" }
  - uses: lvs.drain
    with: { service: web, node: ${node} }
`

let dir: string
let stores: Store[]
let health: HealthReading[]

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-policy-'))
  stores = []
  health = ['node1', 'node3'].map((n) => ({ target: n, kind: 'node', state: 'up' }))
  health.push({ target: 'node2', kind: 'node', state: 'down' })
})
afterEach(async () => {
  for (const s of stores) s.close()
  await rm(dir, { recursive: true, force: true })
})

async function open(name = 'tandem.db') {
  const store = await openStore(`file:${join(dir, name)}`)
  stores.push(store)
  return store
}

async function policySet(options: Partial<PolicySetOptions> = {}) {
  const { registry, inventory } = await demo()
  return createPolicySet({
    dir: join(dir, 'policies'),
    registry,
    inventory,
    log: createLogger({ level: 'silent' }),
    health: async () => health,
    watch: false,
    ...options,
  })
}

const at0 = Date.parse('2024-05-01T03:00:00Z')

describe('for: timers', () => {
  beforeEach(async () => {
    await mkdirp(join(dir, 'policies'))
    await writeFile(join(dir, 'policies', 'failover.yaml'), failover())
  })

  it('wait in the store and fire after a restart when the condition still holds', async () => {
    const first = await policySet({ store: await open() })
    const result = await first.match(event('node.down', 'node2', {}, at0))
    expect(result.fire).toEqual([])
    expect(result.waiting.map((t) => [t.policy, t.dueAt])).toEqual([['failover', at0 + 20_000]])
    await first.match(event('node.down', 'node2', {}, at0 + 5_000))
    await first.close()
    stores[0]!.close()

    const second = await policySet({ store: await open() })
    expect((await second.pending()).map((t) => t.since)).toEqual([at0])
    expect(await second.due(at0 + 19_999)).toEqual([])
    const due = await second.due(at0 + 20_000)
    expect(due.map((m) => [m.policy.name, m.event.subject])).toEqual([['failover', 'node2']])
    // Issue 16: the timer survives until its run is written (a crash in between re-fires it).
    expect(await second.pending()).toHaveLength(1)
    expect((await second.due(at0 + 20_000)).map((m) => m.timer.key)).toEqual([due[0]!.timer.key])
    await due[0]!.consume()
    expect(await second.pending()).toEqual([])
    const plan = await second.plan(due[0]!)
    expect(plan.steps.map((s) => s.input)).toEqual([
      { node: 'node2' },
      { service: 'web', node: 'node2' },
    ])
    await second.close()
  })

  it('are cancelled by the resolving event, and do not fire when health shows recovery', async () => {
    const set = await policySet({ store: await open() })
    await set.match(event('node.down', 'node2', {}, at0))
    const back = await set.match(event('node.up', 'node2', {}, at0 + 3_000))
    expect(back.cancelled.map((t) => t.policy)).toEqual(['failover'])
    expect(await set.due(at0 + 60_000)).toEqual([])

    await set.match(event('node.down', 'node2', {}, at0 + 100_000))
    health = health.map((h) => (h.target === 'node2' ? { ...h, state: 'up' } : h))
    expect(await set.due(at0 + 200_000)).toEqual([])
    expect(await set.pending()).toEqual([])
    await set.close()
  })

  it('do not start when the condition is false', async () => {
    health = health.map((h) => ({ ...h, state: 'down' }))
    const set = await policySet()
    const result = await set.match(event('node.down', 'node2', {}, at0))
    expect(result.waiting).toEqual([])
    expect(result.skipped).toEqual([
      { policy: 'failover', reason: 'if: health.quorate is false', failed: false },
    ])
    await set.close()
  })
})

describe('hot reload', () => {
  beforeEach(async () => {
    await mkdirp(join(dir, 'policies'))
    await writeFile(join(dir, 'policies', 'failover.yaml'), failover('node2'))
  })

  it('rejects a broken edit, keeps the last good version, raises config.invalid once', async () => {
    const store = await open()
    const invalid: TandemEvent[] = []
    const set = await policySet({ store, watch: true, onInvalid: (e) => invalid.push(e) })
    const file = join(dir, 'policies', 'failover.yaml')
    const drainedNode = () => set.policies()[0]?.steps[1]?.with

    await writeFile(file, failover('node2').replace('lvs.drain', 'lvs.drian'))
    await vi.waitFor(() => expect(invalid).toHaveLength(1), { timeout: 10_000, interval: 50 })
    expect(invalid[0]).toMatchObject({
      type: 'config.invalid',
      subject: file,
      labels: { severity: 'warning', file, kind: 'policy' },
      payload: { kept: 'the last good version of this policy stays active' },
    })
    expect(invalid[0]!.payload.message).toBe(
      `${file}:10:11: steps[1].uses: unknown action "lvs.drian"; did you mean "lvs.drain"?`,
    )
    expect(set.policies().map((p) => p.name)).toEqual(['failover'])
    expect(JSON.stringify(drainedNode())).toContain('node2')

    const stored = await store.db.select().from(events)
    expect(stored.map((e) => [e.type, e.subject])).toEqual([['config.invalid', file]])
    const [state] = await store.db.select().from(policyStates)
    expect(state).toMatchObject({ file, name: 'failover', lastError: invalid[0]!.payload.message })

    expect((await set.reload()).invalid).toEqual([]) // the same broken text is reported once

    await writeFile(file, failover('node3'))
    await vi.waitFor(() => expect(JSON.stringify(drainedNode())).toContain('node3'), {
      timeout: 10_000,
      interval: 50,
    })
    await vi.waitFor(async () => {
      const [fixed] = await store.db.select().from(policyStates)
      expect(fixed?.lastError).toBeNull()
    })
    expect(set.status()).toEqual([
      expect.objectContaining({ file, name: 'failover', lastError: undefined }),
    ])
    await set.close()
  })

  it('drops a deleted file and refuses a second policy with the same name', async () => {
    const set = await policySet()
    await writeFile(join(dir, 'policies', 'zz-copy.yaml'), failover('node3'))
    const result = await set.reload()
    expect(result.rejected.map((r) => r.message)).toEqual([
      `${join(dir, 'policies', 'zz-copy.yaml')}:1:1: name: policy "failover" is already defined in ${join(dir, 'policies', 'failover.yaml')}`,
    ])
    await unlink(join(dir, 'policies', 'failover.yaml'))
    await set.reload()
    expect(set.policies().map((p) => p.file)).toEqual([join(dir, 'policies', 'zz-copy.yaml')])
    await set.close()
  })
})

// Regression: the daemon's view left the storage rows' detail out, so `health.mounts` was empty
// and the shipped gfs-withdrawn policy never fired on a withdrawn node (its e2e was opt-in).
it('sees each node’s mount from the stored storage rows (health.mounts)', async () => {
  await mkdirp(join(dir, 'policies'))
  await writeFile(
    join(dir, 'policies', 'withdrawn.yaml'),
    `on:
  - event: check.failed
    check: gfs
if: health.mounts["gfs-data"][event.labels.node] == "withdrawn"
steps:
  - uses: fence.fence
    with: { node: "\${{ event.labels.node }}" }
`,
  )
  const store = await open()
  const row = (target: string, kind: string, state: string, detail: Record<string, unknown>) => ({
    target,
    kind,
    state,
    since: 1,
    updatedAt: 1,
    detail,
  })
  await store.db.insert(healthStates).values([
    row('cluster', 'cluster', 'up', {}),
    row('storage/gfs-data', 'storage', 'degraded', {
      kind: 'gfs',
      mounts: { node1: 'mounted', node2: 'mounted', node3: 'withdrawn' },
      imports: { node1: 'imported', node2: 'imported', node3: 'imported' },
      usable: ['node1', 'node2'],
    }),
  ])
  const set = await policySet({ store, health: undefined })
  const failed = (node: string) =>
    event('check.failed', `node/${node}/gfs`, { node, check: 'gfs', severity: 'warning' })
  expect((await set.match(failed('node3'))).fire.map((m) => m.policy.name)).toEqual(['withdrawn'])
  expect((await set.match(failed('node2'))).fire).toEqual([])
  await set.close()
})

describe('schedule and manual triggers', () => {
  it('fire a schedule event naming the policy, which then matches it', async () => {
    await mkdirp(join(dir, 'policies'))
    await writeFile(
      join(dir, 'policies', 'reconcile.yaml'),
      'on:\n  - schedule: "* * * * * *"\n  - manual\nsteps:\n  - uses: lvs.reconcile\n',
    )
    const fired: TandemEvent[] = []
    const set = await policySet({ onSchedule: (e) => fired.push(e) })
    await vi.waitFor(() => expect(fired.length).toBeGreaterThan(0), {
      timeout: 5_000,
      interval: 50,
    })
    await set.close()
    expect(fired[0]).toMatchObject({
      type: 'schedule',
      subject: 'reconcile',
      labels: { policy: 'reconcile' },
    })
    expect((await set.match(fired[0]!)).fire.map((m) => m.policy.name)).toEqual(['reconcile'])
    const manual = await set.match(event('manual', 'reconcile'))
    expect(manual.fire.map((m) => m.policy.name)).toEqual(['reconcile'])
    expect((await set.match(event('manual', 'other'))).fire).toEqual([])
  })
})

async function mkdirp(path: string) {
  const { mkdir } = await import('node:fs/promises')
  await mkdir(path, { recursive: true })
}

describe('deferred runs (a cooldown refused them)', () => {
  const web = { service: 'web', node: 'node2', severity: 'info' }
  const recovered = (at: number) => event('check.recovered', 'web/node2/http', web, at)
  const failed = (at: number) => event('check.failed', 'web/node2/http', web, at)
  const restore = (at: number) => ({
    policy: 'real-server-recovered',
    incidentKey: 'check.recovered:web/node2/http',
    event: recovered(at),
  })
  const check = (state: string) => ({ target: 'web/node2/http', kind: 'check', state })
  beforeEach(async () => {
    await mkdirp(join(dir, 'policies'))
    const shipped = await readFile(join('policies', 'real-server-recovered.yaml'), 'utf8')
    await writeFile(join(dir, 'policies', 'real-server-recovered.yaml'), shipped)
    health = ['node1', 'node2', 'node3'].map((n) => ({ target: n, kind: 'node', state: 'up' }))
  })

  it('wait in the store until the window ends, one per policy and incident (the newest)', async () => {
    const store = await open()
    const set = await policySet({ store })
    health.push(check('up'))
    await set.defer(restore(at0), at0 + 120_000, store.db)
    await set.defer(restore(at0 + 30_000), at0 + 150_000)
    expect((await set.pending()).map((t) => [t.key, t.dueAt, t.event.at])).toEqual([
      ['defer|real-server-recovered|check.recovered:web/node2/http', at0 + 150_000, at0 + 30_000],
    ])
    await set.close()
    stores[0]!.close()

    // After a restart it is still there, and due only at the end of the window.
    const again = await policySet({ store: await open() })
    expect(await again.due(at0 + 149_999)).toEqual([])
    const due = await again.due(at0 + 150_000)
    expect(due.map((m) => [m.policy.name, m.event.subject])).toEqual([
      ['real-server-recovered', 'web/node2/http'],
    ])
    const plan = await again.plan(due[0]!)
    expect(plan.steps.map((s) => [s.uses, s.input])).toEqual([
      ['lvs.restore', { service: 'web', node: 'node2' }],
    ])
    await due[0]!.consume()
    expect(await again.pending()).toEqual([])
    await again.close()
  })

  it('are cancelled by the opposite event, and dropped when health contradicts them', async () => {
    const set = await policySet({ store: await open() })
    await set.defer(restore(at0), at0 + 120_000)
    // A for: timer would only end on its resolving event; a deferred restore also ends on a failure.
    const unrelated = await set.match(event('check.failed', 'web/node3/http', web, at0 + 5_000))
    expect(unrelated.cancelled).toEqual([])
    const again = await set.match(failed(at0 + 10_000))
    expect(again.cancelled.map((t) => t.key)).toEqual([
      'defer|real-server-recovered|check.recovered:web/node2/http',
    ])
    expect(await set.pending()).toEqual([])

    // The failure went unseen (no event): when due, the check's health says no.
    await set.defer(restore(at0 + 20_000), at0 + 140_000)
    health.push(check('down'))
    expect(await set.due(at0 + 140_000)).toEqual([])
    expect(await set.pending()).toEqual([])
    await set.close()
  })
})
