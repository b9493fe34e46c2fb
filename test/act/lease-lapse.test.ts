// A leader whose own lease lapsed and was re-taken: runs the lapse cut short resume, runs still going are left alone.
import { expect, it } from 'vitest'
import { acquireLease, auditLog, runs, type Store } from '../../core/store/index.ts'
import {
  collectNotices,
  editLab,
  failoverPlan,
  labExecutor,
  labWorld,
  lapsingExecutor,
  setHealth,
  useLabStore,
} from '../fixtures/act-lab.ts'

let store: Store
useLabStore((opened) => {
  store = opened
})

/** Power-offs the fence agent carried out (each call logs start, off, exit). */
const offs = () =>
  (labWorld().testFence.calls ?? []).filter((c) => c.action === 'off' && c.phase === 'off')
const started = () =>
  (labWorld().testFence.calls ?? []).filter((c) => c.action === 'off' && c.phase === 'start')

it('resumes the run a lapse cut short once the same leader re-takes its lease: fenced once, db moved', async () => {
  await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
  const lease = (await acquireLease(store.db, 'leader', 'A', 60_000))!
  // The lease lapses (by A's own clock) the moment the fence agent starts: its answer cannot be
  // journaled, and the run stops with the step left running.
  const lapsing = lapsingExecutor(store, lease, () => started().length === 0)
  const { executor } = lapsing
  await expect(executor.execute(failoverPlan('node2'))).rejects.toThrow(/lease has lapsed/)

  // Nobody led meanwhile: A re-takes its own lease under the same token and resumes.
  expect((await acquireLease(store.db, 'leader', 'A', 60_000))?.token).toBe(lease.token)
  lapsing.retake()
  const reports = await executor.resumeAbandoned()
  expect(reports).toHaveLength(1)
  expect(reports[0]?.status).toBe('succeeded')
  expect(offs()).toHaveLength(1)
  expect(labWorld().testCluster.owners.db).toBe('node3')
})

it('leaves a run still running in this process alone when the leader resumes after a lapse', async () => {
  await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
  const lease = (await acquireLease(store.db, 'leader', 'A', 60_000))!
  const executor = labExecutor(store, {
    notices: collectNotices(),
    fencing: { lease: 'leader', token: () => lease.token },
  })
  // The fence agent takes 1.5 s; the leader resumes lapsed work while it runs.
  editLab((world) => {
    world.testFence.behaviour.node2 = 'slow'
  })
  const running = executor.execute(failoverPlan('node2'))
  for (let i = 0; i < 200 && started().length === 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 25))
  expect(started()).toHaveLength(1)
  expect(offs()).toHaveLength(0)
  expect(await executor.recover()).toEqual([])

  const report = await running
  expect(report.status).toBe('succeeded')
  expect(offs()).toHaveLength(1)
  // Its step was never declared interrupted: no `unknown`, no read-back.
  const audit = await store.db.select().from(auditLog)
  expect(audit.length).toBeGreaterThan(0)
  expect(audit.filter((a) => a.decision === 'unknown' || a.decision === 'recovered')).toEqual([])
  const [run] = await store.db.select().from(runs)
  expect(run?.status).toBe('succeeded')
})
