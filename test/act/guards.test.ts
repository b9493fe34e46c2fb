// Guards over simulated time: a node flapping for ten minutes changes LVS a bounded number of
// times, is fenced at most once per window, and every refusal is in the audit log.
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { applyIncidentEvent, resolveIncident } from '../../core/act/index.ts'
import type { Plan } from '../../core/policy/index.ts'
import { deferredRun, storeTimers } from '../../core/policy/timers.ts'
import { auditLog, events, healthStates, type Store } from '../../core/store/index.ts'
import {
  editLab,
  failoverPlan,
  fakeClock,
  labExecutor,
  labWorld,
  setHealth,
  step,
  useLabStore,
} from '../fixtures/act-lab.ts'

let store: Store

useLabStore((opened) => {
  store = opened
})

const MINUTE = 60_000

function plan(
  policy: string,
  type: 'node.down' | 'node.up',
  steps: Plan['steps'],
  guards: Partial<Plan['guards']>,
  at: number,
): Plan {
  const base = failoverPlan('node2', { steps, guards, at })
  return { ...base, policy, event: { ...base.event, type } }
}

describe('a node flapping for ten minutes', () => {
  it('stays within max_runs and max_fences, and audits every refusal', async () => {
    const clock = fakeClock()
    const executor = labExecutor(store, { clock })
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const drainGuards = { cooldownMs: 1.5 * MINUTE, maxRuns: { count: 3, windowMs: 10 * MINUTE } }
    const fenceGuards = { maxFences: { count: 1, windowMs: 10 * MINUTE } }
    const reports = []
    // node2 goes down and comes back every 30 seconds for ten minutes.
    for (let t = 0; t < 10 * MINUTE; t += 30_000) {
      const down = (t / 30_000) % 2 === 0
      const at = clock.now()
      if (down) {
        await setHealth(store, { quorate: true, nodes: { node2: 'down' } }, at)
        reports.push(
          await executor.execute(
            plan(
              'flap-fence',
              'node.down',
              [step('1', 'test-fence.fence', { node: 'node2' })],
              fenceGuards,
              at,
            ),
          ),
        )
        reports.push(
          await executor.execute(
            plan(
              'flap-drain',
              'node.down',
              [step('1', 'test-lvs.drain', { service: 'web', node: 'node2' })],
              drainGuards,
              at,
            ),
          ),
        )
      } else {
        // The node rebooted: power on, answering, and the incident of the last outage is over.
        editLab((w) => {
          w.nodes.node2 = { up: true, power: 'on' }
        })
        await setHealth(store, { quorate: true, nodes: { node2: 'up' } }, at)
        // As the leader loop does with the health engine's node.up: node2 rejoined (clean).
        const up = { type: 'node.up' as const, subject: 'node2', at, labels: {}, payload: {} }
        await store.db.insert(events).values(up)
        await applyIncidentEvent(store.db, up, at)
        await resolveIncident(store.db, 'node.down:node2', at)
        reports.push(
          await executor.execute(
            plan(
              'flap-restore',
              'node.up',
              [step('1', 'test-lvs.restore', { service: 'web', node: 'node2' })],
              drainGuards,
              at,
            ),
          ),
        )
      }
      clock.advance(30_000)
    }
    const world = labWorld()
    const changes = world.testLvs?.changes ?? []
    expect(changes.filter((c) => c.verb === 'drain')).toHaveLength(3)
    expect(changes.filter((c) => c.verb === 'restore')).toHaveLength(3)
    const fences = (world.testFence.calls ?? []).filter(
      (c) => c.action === 'off' && c.phase === 'start',
    )
    expect(fences).toHaveLength(1)

    const refused = reports.flatMap((r) => r.refused)
    // 10 fence decisions (1 allowed), 10 drains and 10 restores (3 allowed each).
    expect(refused.length).toBe(9 + 7 + 7)
    const blocked = await store.db.select().from(auditLog).where(eq(auditLog.decision, 'blocked'))
    expect(blocked).toHaveLength(refused.length)
    expect(new Set(blocked.map((a) => a.guard))).toEqual(
      new Set(['max_fences', 'cooldown', 'max_runs']),
    )
  })
})

describe('a time window refusal (issue 16)', () => {
  it('defers a run its cooldown refused to the end of the window; max_runs stays final', async () => {
    const clock = fakeClock()
    const executor = labExecutor(store, { clock })
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const timers = storeTimers(store)
    // As the leader does: the policy area's deferred run, written in the refusal's transaction.
    const deferring = (p: Plan) => ({
      defer: (tx: Parameters<typeof timers.defer>[1], until: number) =>
        timers.defer(deferredRun(p, clock.now(), until), tx),
    })
    const drain = [step('1', 'test-lvs.drain', { service: 'web', node: 'node2' })]
    const start = clock.now()
    const first = plan('drain', 'node.down', drain, { cooldownMs: MINUTE }, start)
    expect((await executor.execute(first, deferring(first))).status).toBe('succeeded')
    clock.advance(20_000)
    const early = plan('drain', 'node.down', drain, { cooldownMs: MINUTE }, clock.now())
    const refused = await executor.execute(early, deferring(early))
    expect(refused.status).toBe('blocked')
    const until = new Date(start + MINUTE).toISOString()
    expect(refused.steps[0]).toMatchObject({ status: 'skipped', blockedBy: 'cooldown' })
    expect(refused.steps[0]?.detail).toContain(`deferred until ${until}`)
    const [audited] = await store.db.select().from(auditLog).where(eq(auditLog.decision, 'blocked'))
    expect(audited).toMatchObject({ guard: 'cooldown' })
    expect(audited?.reason).toContain(`deferred until ${until}`)
    expect((await timers.list()).map((t) => [t.key, t.dueAt])).toEqual([
      ['defer|drain|node.down:node2', start + MINUTE],
    ])

    // max_runs bounds the policy across incidents: its refusal is final, nothing deferred.
    const capped = { maxRuns: { count: 1, windowMs: 10 * MINUTE } }
    const once = plan('capped', 'node.down', drain, capped, clock.now())
    expect((await executor.execute(once, deferring(once))).status).toBe('succeeded')
    clock.advance(1_000)
    const twice = { ...plan('capped', 'node.down', drain, capped, clock.now()), incidentKey: 'x' }
    const stopped = await executor.execute(twice, deferring(twice))
    expect(stopped.steps[0]).toMatchObject({ status: 'skipped', blockedBy: 'max_runs' })
    expect(stopped.steps[0]?.detail).not.toContain('deferred')
    expect(await timers.list()).toHaveLength(1)
  })
})

describe('blast radius', () => {
  it('refuses to drain more than the allowed share of a pool', async () => {
    await setHealth(store, { quorate: true })
    const executor = labExecutor(store)
    const guards = { maxDrainedPercent: 50 }
    const drain = (node: string) =>
      executor.execute({
        ...failoverPlan(node, {
          steps: [step('1', 'test-lvs.drain', { service: 'web', node })],
          guards,
        }),
        policy: 'drain-failed-server',
      })
    expect((await drain('node1')).status).toBe('succeeded') // 1 of 3 drained
    const second = await drain('node2') // would be 2 of 3 = 67%
    expect(second.steps[0]).toMatchObject({ status: 'skipped', blockedBy: 'blast_radius' })
    expect(second.steps[0]?.detail).toMatch(/2 of 3 real servers of web drained \(67% > 50%\)/)
    const changes = labWorld().testLvs?.changes ?? []
    expect(changes.map((c) => c.node)).toEqual(['node1'])
  })
})

describe('storage_blind', () => {
  // The policy's storage_ready filter is one protection; the engine refuses on its own too, so a
  // hand-written policy or `tandem exec` cannot start a GFS service on a node that cannot use it.
  it('refuses to relocate a GFS service onto a node whose mount is withdrawn, and audits it', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const now = Date.now()
    await store.db.insert(healthStates).values({
      target: 'storage/gfs-data',
      kind: 'storage',
      state: 'degraded',
      since: now,
      updatedAt: now,
      detail: {
        kind: 'gfs',
        services: ['db'],
        mounts: { node2: 'mounted', node3: 'withdrawn' },
        imports: { node2: 'imported', node3: 'imported' },
        usable: ['node2'],
      },
    })
    const report = await labExecutor(store).execute(failoverPlan('node2'))
    const relocate = report.steps.find((s) => s.uses === 'test-cluster.relocate')
    expect(relocate).toMatchObject({ status: 'skipped', blockedBy: 'storage_blind' })
    expect(relocate?.detail).toBe('gfs-data on node3 is withdrawn: db cannot start there')
    // The world: node2 was fenced, db was not started anywhere.
    expect(labWorld().testCluster.relocations ?? []).toEqual([])
    expect(labWorld().nodes.node2?.power).toBe('off')
    const audited = await store.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.guard, 'storage_blind'))
    expect(audited).toHaveLength(1)
    expect(audited[0]).toMatchObject({ action: 'test-cluster.relocate', decision: 'blocked' })
  })

  it("refuses a node outside the volume's mounted_by before any probe has reported", async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const plan = failoverPlan('node2')
    const steps = plan.steps.map((s) =>
      s.uses === 'test-cluster.relocate' ? { ...s, input: { ...s.input, to: 'node1' } } : s,
    )
    const report = await labExecutor(store).execute({ ...plan, steps })
    expect(report.steps.find((s) => s.uses === 'test-cluster.relocate')).toMatchObject({
      status: 'skipped',
      blockedBy: 'storage_blind',
      detail: 'node1 does not mount gfs-data (mounted_by: node2, node3): db cannot run there',
    })
    expect(labWorld().testCluster.relocations ?? []).toEqual([])
  })
})
