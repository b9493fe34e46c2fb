// The executor on the seed scenario: fence before recover, failing fences, quorum, blind monitor.
import { eq, inArray } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { decideApproval } from '../../core/act/index.ts'
import type { Plan } from '../../core/policy/index.ts'
import {
  auditLog,
  fenceStates,
  incidents,
  runs,
  type Store,
  silences,
  steps,
} from '../../core/store/index.ts'
import {
  collectNotices,
  editLab,
  failoverPlan,
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

const world = () => labWorld()
const fenceOffs = () =>
  (world().testFence.calls ?? []).filter((c) => c.action === 'off' && c.phase === 'start')
const relocations = () => world().testCluster.relocations ?? []
const lvsChanges = () => world().testLvs?.changes ?? []
const behave = (node: string, behaviour: string) =>
  editLab((w) => {
    w.testFence.behaviour[node] = behaviour
  })

describe('fence before recover', () => {
  it('fences once, confirms off, then drains and relocates', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const notices = collectNotices()
    const report = await labExecutor(store, { notices }).execute(failoverPlan('node2'))
    expect(report.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    expect(fenceOffs()).toHaveLength(1)
    expect(relocations()).toEqual([
      expect.objectContaining({
        service: 'db',
        from: 'node2',
        to: 'node3',
        power: expect.objectContaining({ node2: 'off' }),
      }),
    ])
    const [fence] = await store.db.select().from(fenceStates).where(eq(fenceStates.node, 'node2'))
    expect(fence).toMatchObject({ state: 'fenced', incidentId: report.incidentId, failures: 0 })
    // The audit has the intent before the outcome for every step.
    const audit = await store.db.select().from(auditLog)
    for (const s of report.steps) {
      const decisions = audit.filter((a) => a.stepId === s.id).map((a) => a.decision)
      expect(decisions).toEqual(['executed', 'succeeded'])
    }
    expect(notices.updates.map((u) => u.moment)).toEqual(['started', 'succeeded'])
  })

  it.each([
    ['exit1', 'exits 1'],
    ['exit5', 'exits 5'],
    ['hang', 'hangs past its timeout'],
  ])(
    'a fence agent that %s leaves the node unclean, services in place, and escalates',
    async (behaviour) => {
      await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
      behave('node2', behaviour)
      const notices = collectNotices()
      const plan = failoverPlan('node2')
      plan.steps[0] = step(
        '1',
        'test-fence.fence',
        { node: 'node2' },
        {
          retry: { count: 2, backoffMs: 50 },
          timeoutMs: 1_000,
          onFailure: 'escalate',
        },
      )
      const report = await labExecutor(store, { notices }).execute(plan)
      expect(report.status).toBe('failed')
      expect(report.steps.map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped'])
      expect(fenceOffs()).toHaveLength(3) // one try and two retries, no more
      expect(relocations()).toEqual([])
      expect(world().testCluster.owners.db).toBe('node2')
      const [fence] = await store.db.select().from(fenceStates).where(eq(fenceStates.node, 'node2'))
      expect(fence).toMatchObject({ state: 'unclean', failures: 1 })
      expect(notices.escalations).toHaveLength(1)
      expect(notices.escalations[0]?.title).toMatch(/test-fence\.fence.*failed/)
      expect(notices.updates.at(-1)?.moment).toBe('failed')
      // No orphan agent survives a timeout.
      if (behaviour === 'hang')
        for (const call of world().testFence.calls ?? []) expect(alive(call.pid)).toBe(false)
    },
  )

  // Issue 16: an agent saying off while the node still answers used to be recorded as fenced.
  it('a fence the node contradicts by still answering fails, leaves it unclean with the reason', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'up' } })
    const notices = collectNotices()
    const plan = failoverPlan('node2')
    // The fence waits up to its timeout for the node to go silent: keep that short here.
    plan.steps[0] = { ...plan.steps[0]!, timeoutMs: 1_500 }
    const report = await labExecutor(store, { notices }).execute(plan)
    expect(report.status).toBe('failed')
    expect(report.steps.map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped'])
    expect(report.steps[0]?.detail).toMatch(/agent says off but node2 still answers/)
    expect(relocations()).toEqual([])
    const [state] = await store.db.select().from(fenceStates)
    expect(state).toMatchObject({ node: 'node2', state: 'unclean', confirmedAt: null })
    expect(state?.reason).toMatch(/still answers/)
    expect(notices.escalations).toHaveLength(1)
  })

  // Regression (gfs-withdrawn e2e): a node fenced while it still ran answers for a few seconds
  // after the power-off; the fence was judged at once and called a lie, so nothing moved.
  it('a node that goes silent shortly after the agent says off is fenced, then recovered', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'up' } })
    const silent = new Promise<void>((resolve) =>
      setTimeout(() => void setHealth(store, { nodes: { node2: 'down' } }).then(resolve), 1_200),
    )
    const report = await labExecutor(store).execute(failoverPlan('node2'))
    await silent
    expect(report.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    expect(fenceOffs()).toHaveLength(1)
    expect(relocations()).toHaveLength(1)
    const [state] = await store.db.select().from(fenceStates)
    expect(state).toMatchObject({ node: 'node2', state: 'fenced' })
  })

  it('refuses a relocation whose node was never fenced in this incident', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const plan = failoverPlan('node2', {
      steps: [step('1', 'test-cluster.relocate', { service: 'db', from: 'node2', to: 'node3' })],
    })
    const report = await labExecutor(store).execute(plan)
    expect(report.steps[0]).toMatchObject({ status: 'skipped', blockedBy: 'fence_before_recover' })
    expect(report.steps[0]?.detail).toMatch(/not confirmed fenced/)
    expect(relocations()).toEqual([])
  })
})

describe('incidents with nothing to clear', () => {
  it('an incident opened by a recovery ends with its run, and the next recovery opens a new one', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'up' } })
    const restore = (at: number): Plan => {
      const plan = failoverPlan('node2', {
        at,
        steps: [step('1', 'test-lvs.restore', { service: 'web', node: 'node2' })],
      })
      return {
        ...plan,
        policy: 'real-server-recovered',
        event: { ...plan.event, type: 'check.recovered', subject: 'web/node2/http' },
        incidentKey: 'check.recovered:web/node2/http',
      }
    }
    const executor = labExecutor(store)
    const first = await executor.execute(restore(Date.now()))
    const second = await executor.execute(restore(Date.now() + 1))
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded'])
    expect(second.incidentId).not.toBe(first.incidentId)
    const rows = await store.db
      .select({ status: incidents.status })
      .from(incidents)
      .where(inArray(incidents.id, [first.incidentId, second.incidentId]))
    expect(rows.map((r) => r.status)).toEqual(['closed', 'closed'])
  })

  it('a recovery refused by its cooldown closes its incident too', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'up' } })
    const plan = failoverPlan('node2', {
      guards: { cooldownMs: 600_000 },
      steps: [step('1', 'test-lvs.restore', { service: 'web', node: 'node2' })],
    })
    const recovered = {
      ...plan,
      policy: 'real-server-recovered',
      event: { ...plan.event, type: 'check.recovered' as const, subject: 'web/node2/http' },
      incidentKey: 'check.recovered:web/node2/http',
    }
    const executor = labExecutor(store)
    await executor.execute(recovered)
    const held = await executor.execute({
      ...recovered,
      event: { ...recovered.event, at: Date.now() },
    })
    expect(held.status).toBe('blocked')
    const [row] = await store.db
      .select({ status: incidents.status })
      .from(incidents)
      .where(eq(incidents.id, held.incidentId))
    expect(row?.status).toBe('closed')
  })
})

describe('fail closed for actions, open for alerts', () => {
  it('inquorate: zero destructive actions, a notice still goes out', async () => {
    await setHealth(store, { quorate: false, nodes: { node2: 'down' } })
    const notices = collectNotices()
    const report = await labExecutor(store, { notices }).execute(failoverPlan('node2'))
    expect(report.status).toBe('blocked')
    expect(fenceOffs()).toEqual([])
    expect(lvsChanges()).toEqual([])
    expect(relocations()).toEqual([])
    expect(notices.updates.at(-1)).toMatchObject({ moment: 'blocked' })
    expect(notices.updates.at(-1)?.refused[0]).toMatchObject({ guard: 'quorum' })
    const blocked = await store.db.select().from(auditLog).where(eq(auditLog.decision, 'blocked'))
    expect(blocked.map((a) => a.guard)).toEqual(['quorum'])
  })

  it('more than half of all targets failing: monitor blind, no destructive action, a notice', async () => {
    await setHealth(store, {
      quorate: true,
      nodes: { node1: 'down', node2: 'down', node3: 'up' },
      checks: { 'web/node1/http': 'down', 'web/node2/http': 'down', 'web/node3/http': 'down' },
    })
    const notices = collectNotices()
    const report = await labExecutor(store, { notices }).execute(failoverPlan('node2'))
    expect(report.status).toBe('blocked')
    expect(report.steps[0]).toMatchObject({ status: 'blocked', blockedBy: 'monitor_blind' })
    expect(report.steps[0]?.detail).toMatch(/monitor blind: 5 of 6 targets/)
    expect(fenceOffs()).toEqual([])
    expect(lvsChanges()).toEqual([])
    expect(notices.updates.at(-1)?.refused[0]?.guard).toBe('monitor_blind')
  })

  it('the probe engine saying "monitor down" is enough to hold destructive actions', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const now = Date.now()
    await store.db.insert((await import('../../core/store/index.ts')).healthStates).values({
      target: 'monitor',
      kind: 'monitor',
      state: 'down',
      since: now,
      updatedAt: now,
    })
    const report = await labExecutor(store).execute(failoverPlan('node2'))
    expect(report.steps[0]?.blockedBy).toBe('monitor_blind')
    expect(fenceOffs()).toEqual([])
  })

  it('a maintenance window holds the actions on its node', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const now = Date.now()
    await store.db.insert(silences).values({
      id: 'mw-1',
      kind: 'maintenance',
      matchers: [{ label: 'node', op: '=', value: 'node2' }],
      startsAt: now - 60_000,
      endsAt: now + 3_600_000,
      createdBy: 'alice',
      comment: 'disk swap',
    })
    const report = await labExecutor(store).execute(failoverPlan('node2'))
    expect(report.steps[0]).toMatchObject({ status: 'skipped', blockedBy: 'maintenance' })
    expect(fenceOffs()).toEqual([])
  })
})

/** The monitor's own row, as the probe engine writes it when it goes blind or sees again. */
async function monitorRow(state: 'up' | 'down') {
  const now = Date.now()
  const { healthStates } = await import('../../core/store/index.ts')
  await store.db
    .insert(healthStates)
    .values({ target: 'monitor', kind: 'monitor', state, since: now, updatedAt: now })
    .onConflictDoUpdate({ target: healthStates.target, set: { state, updatedAt: now } })
}

// Regression (issue 16): a failover refused by a blind monitor after a restart was lost for
// good (the `for:` timer consumed, nothing retried, node2 never fenced).
describe('held by a transient guard, not lost', () => {
  it('a blind monitor holds the failover; once it sees again the run goes on, once', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    await monitorRow('down')
    const notices = collectNotices()
    const executor = labExecutor(store, { notices })
    const held = await executor.execute(failoverPlan('node2'))
    expect(held.status).toBe('blocked')
    expect(held.steps.map((s) => [s.status, s.blockedBy])).toEqual([
      ['blocked', 'monitor_blind'],
      ['pending', null],
      ['pending', null],
    ])
    expect(notices.updates.at(-1)).toMatchObject({ moment: 'blocked' })
    // Still blind: nothing moves, and nothing more is audited on every pass.
    const audited = (await store.db.select().from(auditLog)).length
    expect(await executor.pollHeld()).toEqual([])
    expect((await store.db.select().from(auditLog)).length).toBe(audited)
    expect(fenceOffs()).toEqual([])
    await monitorRow('up')
    const [resumed, ...more] = await executor.pollHeld()
    expect(more).toEqual([])
    expect(resumed?.runId).toBe(held.runId)
    expect(resumed?.status).toBe('succeeded')
    expect(fenceOffs()).toHaveLength(1)
    expect(relocations()).toHaveLength(1)
    // Released once: a later pass, or a second instance's, finds nothing held.
    expect(await executor.pollHeld()).toEqual([])
    expect(await labExecutor(store).pollHeld()).toEqual([])
    expect(fenceOffs()).toHaveLength(1)
    const decisions = (await store.db.select().from(auditLog))
      .filter((a) => a.stepId === `${held.runId}/1`)
      .map((a) => a.decision)
    expect(decisions).toEqual(['blocked', 'released', 'executed', 'succeeded'])
  })

  it('unknown quorum holds it; the node back before quorum ends the run, nothing fenced', async () => {
    await setHealth(store, { nodes: { node2: 'down' } })
    const executor = labExecutor(store)
    const held = await executor.execute(failoverPlan('node2'))
    expect(held.steps[0]).toMatchObject({ status: 'blocked', blockedBy: 'quorum' })
    expect(await executor.pollHeld()).toEqual([])
    // node2 rejoins: its incident resolves, so the held failover has nothing left to do.
    const { applyIncidentEvent } = await import('../../core/act/index.ts')
    await store.db.transaction((tx) =>
      applyIncidentEvent(
        tx,
        { type: 'node.up', subject: 'node2', at: Date.now(), labels: {}, payload: {} },
        Date.now(),
      ),
    )
    await setHealth(store, { quorate: true, nodes: { node2: 'up' } })
    const [ended] = await executor.pollHeld()
    expect(ended?.status).toBe('blocked')
    expect(ended?.steps.map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped'])
    expect(ended?.steps[0]?.detail).toMatch(/cause cleared while the step was held by quorum/)
    expect(fenceOffs()).toEqual([])
    const [run] = await store.db.select().from(runs).where(eq(runs.id, held.runId))
    expect(run?.finishedAt).not.toBeNull()
  })

  it('a manual action is refused at once, never held: the person who asked decides', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    await monitorRow('down')
    const executor = labExecutor(store)
    const report = await executor.runManual('test-fence.fence', { node: 'node2' })
    expect(report.status).toBe('blocked')
    expect(report.steps[0]).toMatchObject({ status: 'skipped', blockedBy: 'monitor_blind' })
    await monitorRow('up')
    expect(await executor.pollHeld()).toEqual([])
    expect(fenceOffs()).toEqual([])
  })
})

describe('dry run and approval', () => {
  it('dry run describes and journals, changes nothing', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const plan = { ...failoverPlan('node2'), dryRun: true }
    const report = await labExecutor(store).execute(plan)
    expect(report.dryRun).toBe(true)
    expect(report.steps.every((s) => s.status === 'skipped' && s.blockedBy === 'dry_run')).toBe(
      true,
    )
    expect(fenceOffs()).toEqual([])
    const rows = await store.db.select().from(steps)
    expect(rows[1]?.result).toMatchObject({
      dryRun: true,
      commands: [{ argv: [expect.stringMatching(/lvs_test$/), 'drain', 'web', 'node2'] }],
    })
    expect(rows[2]?.result).toMatchObject({ needsFence: ['node2'] })
  })

  it('approval: waits blocked, runs once approved, and the decision is audited', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const executor = labExecutor(store)
    const plan = failoverPlan('node2', { guards: { approval: 'required' } })
    const first = await executor.execute(plan)
    expect(first.status).toBe('blocked')
    expect(first.steps[0]).toMatchObject({ status: 'blocked', blockedBy: 'approval' })
    expect(fenceOffs()).toEqual([])
    const id = first.steps[0]?.detail.match(/apr-[0-9a-f]+/)?.[0] as string
    await decideApproval(store.db, id, {
      approve: true,
      by: 'alice',
      reason: 'node2 is dead',
      now: Date.now(),
    })
    const [resumed] = await executor.pollApprovals()
    // Each destructive step asks for its own approval: the fence ran, the drain now waits.
    expect(resumed?.steps.map((s) => s.status)).toEqual(['succeeded', 'blocked', 'pending'])
    expect(fenceOffs()).toHaveLength(1)
    const decisions = await store.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.decision, 'approved'))
    expect(decisions[0]).toMatchObject({
      actor: 'alice',
      reason: 'node2 is dead',
      guard: 'approval',
    })
  })
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('steps the planner could not resolve', () => {
  it('never runs a step that carries a planning error, even when its input would parse', async () => {
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const plan = failoverPlan('node2')
    plan.steps = [
      step(
        '1',
        'test-lvs.drain',
        { service: 'web', node: 'node2' },
        { error: 'no node named nodeX' },
      ),
    ]
    const report = await labExecutor(store, { notices: collectNotices() }).execute(plan)
    expect(report.steps.map((s) => s.status)).toEqual(['failed'])
    expect(lvsChanges()).toEqual([])
    const [row] = await store.db.select().from(steps)
    expect(row?.error).toContain('not planned: no node named nodeX')
  })
})
