// Several instances: a leader whose lease was taken over can neither write the journal nor act.
import { expect, it } from 'vitest'
import { acquireLease, runs, type Store } from '../../core/store/index.ts'
import {
  collectNotices,
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

it('refuses a stale leader: no journal row, no fence agent spawned', async () => {
  await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
  const old = (await acquireLease(store.db, 'leader', 'A', 1_000, Date.now() - 5_000))!
  // A was paused past its lease; B took over with a higher token.
  await acquireLease(store.db, 'leader', 'B', 60_000)
  const executor = labExecutor(store, {
    notices: collectNotices(),
    fencing: { lease: 'leader', token: () => old.token },
  })
  await expect(executor.execute(failoverPlan('node2'))).rejects.toThrow(
    /leader token \d+ is no longer current/,
  )
  expect(await store.db.select().from(runs)).toEqual([])
  expect(labWorld().testFence.calls ?? []).toEqual([])
})

it('lets the current leader act with its token', async () => {
  await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
  const lease = (await acquireLease(store.db, 'leader', 'B', 60_000))!
  const executor = labExecutor(store, {
    notices: collectNotices(),
    fencing: { lease: 'leader', token: () => lease.token },
  })
  const report = await executor.execute(failoverPlan('node2'))
  expect(report.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
})

it('a lease that lapses while a command runs stops the run without killing the process', async () => {
  await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
  const lease = (await acquireLease(store.db, 'leader', 'B', 60_000))!
  // The lease lapses the moment the first command starts (a process starved past its lease):
  // journaling that command's pid is refused, and so is the next command.
  const unhandled: unknown[] = []
  const note = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', note)
  try {
    const { executor } = lapsingExecutor(store, lease)
    await expect(executor.execute(failoverPlan('node2'))).rejects.toThrow(/lease has lapsed/)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(unhandled).toEqual([])
  } finally {
    process.off('unhandledRejection', note)
  }
})
