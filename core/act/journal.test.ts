import { eq } from 'drizzle-orm'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Plan } from '../policy/index.ts'
import { auditLog, incidents, openStore, type Store, steps } from '../store/index.ts'
import { insertRun, loadRun, markRunning, type NewStep, setStep } from './journal.ts'

const plan = {
  policy: 'node-down',
  file: 'policies/node-down.yaml',
  event: { type: 'node.down', subject: 'node2', at: 1, labels: {}, payload: {} },
  incidentKey: 'node.down:node2',
  steps: [],
  guards: { requireQuorum: true, maintenanceAware: true, approval: 'none' },
  notify: { channels: [], on: [] },
  dryRun: false,
} satisfies Plan

const fenceStep: NewStep = {
  planId: 'fence',
  name: 'fence node2',
  uses: 'fence.fence',
  input: { node: 'node2' },
  commands: [['fence_ipmilan', '--action=off']],
  target: 'node/node2',
  destructive: true,
  fenceNode: 'node2',
}
const relocateStep: NewStep = {
  ...fenceStep,
  planId: 'relocate',
  name: 'relocate db',
  uses: 'rgmanager.relocate',
  fenceNode: null,
}

let store: Store
beforeEach(async () => {
  store = await openStore(':memory:')
  await store.db.insert(incidents).values({
    id: 'inc-1',
    key: plan.incidentKey,
    status: 'open',
    title: 'node2 down',
    openedAt: 1,
  })
})

const run = (runKey: string, now = 10) =>
  insertRun(store.db, { incidentId: 'inc-1', plan, actor: 'daemon', dryRun: false, now, runKey }, [
    fenceStep,
    relocateStep,
  ])
const audit = (stepId: string, at: number) => ({
  at,
  actor: 'daemon',
  action: 'fence.fence',
  target: 'node/node2',
  decision: 'allowed',
  runId: stepId.split('/')[0] ?? null,
  stepId,
})

describe('the journal', () => {
  it('writes a run and every step as pending intent once per run key', async () => {
    const first = await run('event:7/node-down')
    const again = await run('event:7/node-down', 20)
    expect(first.existing).toBe(false)
    expect(again).toEqual({ runId: first.runId, existing: true })
    const journal = await loadRun(store.db, first.runId)
    expect(journal?.steps.map((s) => [s.name, s.status, s.attempt])).toEqual([
      ['fence node2', 'pending', 0],
      ['relocate db', 'pending', 0],
    ])
    expect(journal?.steps[0]?.commands).toEqual([['fence_ipmilan', '--action=off']])
    // Replaying the event wrote nothing more.
    expect(await store.db.select().from(steps)).toHaveLength(2)
  })

  it('gives each run its own step idempotency keys', async () => {
    const a = await run('event:7/node-down')
    const b = await run('event:9/node-down')
    const keys = (await store.db.select({ key: steps.idempotencyKey }).from(steps)).map(
      (r) => r.key,
    )
    expect(new Set(keys).size).toBe(4)
    expect(keys.filter((k) => k.startsWith(a.runId))).toHaveLength(2)
    expect(keys.filter((k) => k.startsWith(b.runId))).toHaveLength(2)
  })

  it('counts attempts, audits each before it runs, and stamps only a terminal status', async () => {
    const { runId } = await run('event:7/node-down')
    const [step] = (await loadRun(store.db, runId))?.steps ?? []
    if (!step) throw new Error('no step')
    expect(await markRunning(store.db, step, audit(step.id, 100), 100)).toBe(1)
    await setStep(store.db, step.id, { status: 'unknown', now: 150 })
    const [crashed] = await store.db.select().from(steps).where(eq(steps.id, step.id))
    expect(crashed).toMatchObject({ status: 'unknown', finishedAt: null })
    if (!crashed) throw new Error('no step')
    // The retry after a crash: a second attempt, same start, its own audit entry.
    expect(await markRunning(store.db, crashed, audit(step.id, 200), 200)).toBe(2)
    await setStep(store.db, step.id, { status: 'succeeded', result: { off: true }, now: 250 })
    const [done] = await store.db.select().from(steps).where(eq(steps.id, step.id))
    expect(done).toMatchObject({
      status: 'succeeded',
      attempt: 2,
      startedAt: 100,
      finishedAt: 250,
      result: { off: true },
    })
    const audits = await store.db.select().from(auditLog).where(eq(auditLog.stepId, step.id))
    expect(audits.map((a) => a.at)).toEqual([100, 200])
  })
})
