// API requests (`POST /api/v1/actions`) whose leader's lease lapses as their run begins: they
// are run once the leader re-takes its lease, in order, and their queued row is never closed
// as `failed` for a run that never had a step (torture session 6: web/node3 left at weight 0).
import { eq } from 'drizzle-orm'
import { expect, it } from 'vitest'
import {
  leadsAgainUnder,
  type ManualRequest,
  runQueuedAction,
} from '../../core/runtime/manual-requests.ts'
import { acquireLease, runs, type Store, steps } from '../../core/store/index.ts'
import { labExecutor, labWorld, setHealth, useLabStore } from '../fixtures/act-lab.ts'

let store: Store
useLabStore((opened) => {
  store = opened
})

/** A queued row as the API writes it, and the request the daemon reads from its event. */
async function queued(uses: string, id: number): Promise<ManualRequest> {
  const runId = `run_request_${id}`
  await store.db.insert(runs).values({
    id: runId,
    policy: 'manual',
    trigger: { kind: 'manual', uses, eventId: id },
    status: 'queued',
    dryRun: false,
    actor: 'api:ops',
    startedAt: Date.now(),
  })
  return {
    runId,
    uses,
    input: { service: 'web', node: 'node3' },
    actor: 'api:ops',
    dryRun: false,
    requester: { name: 'api:ops', scopes: ['operate'] },
  }
}

const weight = () => labWorld().testLvs?.weights?.['web/node3']

it('runs a request cut off by a lapsed lease once the leader re-takes it, and closes its row with the run', async () => {
  await setHealth(store, { quorate: true })
  const lease = (await acquireLease(store.db, 'leader', 'A', 60_000))!
  let lapsed = false
  const executor = labExecutor(store, {
    fencing: { lease: 'leader', token: () => (lapsed ? undefined : lease.token) },
  })
  const drain = await queued('test-lvs.drain', 1)
  await runQueuedAction(store, executor, drain, 'request:1')
  expect(weight()).toBe(0)

  // The lease lapses (a starved event loop) just as the restore begins; it is re-taken with
  // the same token a moment later, nobody having led in between.
  lapsed = true
  let waited = 0
  const restore = await queued('test-lvs.restore', 2)
  await runQueuedAction(store, executor, restore, 'request:2', {
    leadsAgain: async () => {
      waited += 1
      lapsed = false
      return true
    },
  })

  expect(waited).toBe(1)
  // The world: the restore took effect.
  expect(weight()).toBe(1)
  // The journal: the row says which run carried it out, and that run has its step.
  const [row] = await store.db.select().from(runs).where(eq(runs.id, restore.runId!))
  expect(row?.status).toBe('succeeded')
  const executedBy = (row?.trigger as { executedBy?: string } | undefined)?.executedBy
  expect(executedBy).toMatch(/^run-/)
  const journaled = await store.db.select().from(steps).where(eq(steps.runId, executedBy!))
  expect(journaled.map((s) => [s.uses, s.status])).toEqual([['test-lvs.restore', 'succeeded']])
})

it('leaves the row queued for the next leader when another instance took the lease', async () => {
  await setHealth(store, { quorate: true })
  const lease = (await acquireLease(store.db, 'leader', 'A', 60_000))!
  const executor = labExecutor(store, {
    fencing: { lease: 'leader', token: () => undefined },
  })
  const restore = await queued('test-lvs.restore', 3)
  // B leads now (a newer token): A gives the request up without closing it.
  const current = () => lease.token + 1
  await runQueuedAction(store, executor, restore, 'request:3', {
    leadsAgain: () => leadsAgainUnder(lease.token, current, undefined, 5_000, 10),
  })
  const [row] = await store.db.select().from(runs).where(eq(runs.id, restore.runId!))
  expect(row?.status).toBe('queued')
  expect((row?.trigger as { executedBy?: string } | undefined)?.executedBy).toBeUndefined()
  // Same token back: true; nobody for the whole wait: false.
  expect(await leadsAgainUnder(7, () => 7, undefined, 1_000, 10)).toBe(true)
  expect(await leadsAgainUnder(7, () => undefined, undefined, 100, 10)).toBe(false)
})
