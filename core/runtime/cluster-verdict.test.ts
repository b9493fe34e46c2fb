// The cluster verdict: not ready while quorum is unknown, ready as soon as health has a word on it.
import { expect, it } from 'vitest'
import { healthStates, openStore } from '../store/index.ts'
import { clusterVerdict } from './cluster-verdict.ts'

const clusterRow = (state: string) => ({
  target: 'cluster',
  kind: 'cluster',
  state,
  since: 1,
  updatedAt: 1,
})

it('waits out an unknown quorum, then answers as soon as the cluster row has a state', async () => {
  const store = await openStore(':memory:')
  expect(await clusterVerdict(store, 0)).toBe(false)
  await store.db.insert(healthStates).values(clusterRow('unknown'))
  expect(await clusterVerdict(store, 150)).toBe(false)
  const verdict = clusterVerdict(store, 10_000)
  await store.db.update(healthStates).set({ state: 'down' })
  // Not quorate is a verdict too: the executor then refuses with a reason, not for want of one.
  expect(await verdict).toBe(true)
  store.close()
})
