// A restore that arrives while the drain of the same real server is still running waits for it
// (held as `busy_target`), instead of being refused for good and leaving a healthy server at
// weight 0; a failure that comes back while it waits makes it moot.
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { insertEventOnce, type TandemEvent } from '../../core/events/index.ts'
import type { Plan } from '../../core/policy/index.ts'
import { auditLog, type Store, steps } from '../../core/store/index.ts'
import {
  collectNotices,
  editLab,
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

const SUBJECT = 'web/node2/http'
const weight = () => labWorld().testLvs?.weights?.['web/node2']
const changes = () => (labWorld().testLvs?.changes ?? []).map((c) => c.verb)

/** Stores a check event as health would, and the plan a policy makes of it. */
async function checkEvent(type: 'check.failed' | 'check.recovered', n: number): Promise<Plan> {
  const at = Date.now()
  const event: Omit<TandemEvent, 'id'> = {
    type,
    subject: SUBJECT,
    at,
    labels: { node: 'node2', service: 'web' },
    payload: {},
  }
  const id = await insertEventOnce(store.db, { ...event, dedupKey: `${type}:${SUBJECT}:${n}` })
  const drain = type === 'check.failed'
  return {
    policy: drain ? 'real-server-failed' : 'real-server-recovered',
    file: 'policies/real-server.yaml',
    event: { ...event, id },
    incidentKey: `${type}:${SUBJECT}`,
    steps: [
      step('1', drain ? 'test-lvs.drain' : 'test-lvs.restore', { service: 'web', node: 'node2' }),
    ],
    guards: { requireQuorum: false, maintenanceAware: false, approval: 'none' },
    notify: { channels: ['oncall'], on: ['started', 'succeeded', 'failed', 'blocked'] },
    dryRun: false,
  }
}

/** Starts a drain run and resolves once its step is acting on the server (the tool is slow). */
async function drainInFlight(executor: ReturnType<typeof labExecutor>, n: number) {
  const run = executor.execute(await checkEvent('check.failed', n))
  await expect
    .poll(
      async () =>
        (
          await store.db
            .select({ id: steps.id })
            .from(steps)
            .where(and(eq(steps.uses, 'test-lvs.drain'), eq(steps.status, 'running')))
        ).length,
      { timeout: 10_000, interval: 20 },
    )
    .toBe(1)
  // Wrapped: an async function returning the run's promise would wait for the run itself.
  return { run }
}

describe('a busy target holds the step', () => {
  it('a restore during a slow drain waits for it, then gives the weight back; the second time too', async () => {
    await setHealth(store, { quorate: true, nodes: {} })
    editLab((w) => {
      w.testLvs = { delayMs: 1_000 }
    })
    const notices = collectNotices()
    const executor = labExecutor(store, { notices })
    for (let round = 1; round <= 2; round++) {
      const { run: drain } = await drainInFlight(executor, round)
      const held = await executor.execute(await checkEvent('check.recovered', round))
      expect(held.status).toBe('blocked')
      expect(held.steps[0]).toMatchObject({ status: 'blocked', blockedBy: 'busy_target' })
      expect(held.steps[0]?.detail).toMatch(
        /lvs\/web\/node2 is busy with .*; held until that clears/,
      )
      // The drain still runs: nothing is released.
      expect(await executor.pollHeld()).toEqual([])
      expect((await drain).status).toBe('succeeded')
      expect(weight()).toBe(0)
      const [resumed, ...more] = await executor.pollHeld()
      expect(more).toEqual([])
      expect(resumed).toMatchObject({ runId: held.runId, status: 'succeeded' })
      // What the tool did: drained, then restored, once each per round.
      expect(weight()).toBe(1)
      expect(changes()).toEqual(Array(round).fill(['drain', 'restore']).flat())
      // Released once: a later pass, or another instance's, finds nothing held.
      expect(await labExecutor(store).pollHeld()).toEqual([])
      const decisions = (await store.db.select().from(auditLog))
        .filter((a) => a.stepId === `${held.runId}/1`)
        .map((a) => a.decision)
      expect(decisions).toEqual(['blocked', 'released', 'executed', 'succeeded'])
    }
    expect(notices.updates.filter((u) => u.moment === 'blocked')).toHaveLength(2)
  })

  it('the server failing again while the restore waits makes it moot: it never runs', async () => {
    await setHealth(store, { quorate: true, nodes: {} })
    editLab((w) => {
      w.testLvs = { delayMs: 1_000 }
    })
    const executor = labExecutor(store)
    const { run: drain } = await drainInFlight(executor, 1)
    const held = await executor.execute(await checkEvent('check.recovered', 1))
    expect(held.steps[0]).toMatchObject({ status: 'blocked', blockedBy: 'busy_target' })
    // It fails again before the drain ended (its own drain run is another matter).
    await checkEvent('check.failed', 2)
    expect((await drain).status).toBe('succeeded')
    const [ended] = await executor.pollHeld()
    expect(ended).toMatchObject({ runId: held.runId, status: 'blocked' })
    expect(ended?.steps[0]?.status).toBe('skipped')
    expect(ended?.steps[0]?.detail).toMatch(
      /not run: check\.failed web\/node2\/http \(event \d+\) came after check\.recovered/,
    )
    expect(weight()).toBe(0)
    expect(changes()).toEqual(['drain'])
    expect(await executor.pollHeld()).toEqual([])
  })
})
