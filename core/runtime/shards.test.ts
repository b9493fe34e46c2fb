// Probe sharding: every target has exactly one owner, and a death moves only the dead one's share.
import { expect, it } from 'vitest'
import { openStore } from '../store/index.ts'
import { heartbeat, ownerOf, shardView } from './shards.ts'

const targets = Array.from({ length: 3_000 }, (_, i) => `web/node${i % 50}:${8000 + i}/http`)

it('gives every target exactly one owner and spreads them evenly', () => {
  const live = ['a', 'b', 'c']
  const views = live.map((id) => shardView(id, live))
  const counts = views.map((v) => targets.filter((t) => v.owns(t)).length)
  expect(counts.reduce((x, y) => x + y, 0)).toBe(targets.length)
  for (const count of counts) expect(count).toBeGreaterThan(targets.length / 3 - 200)
})

it('moves only the dead instance`s targets when one dies', () => {
  const before = new Map(targets.map((t) => [t, ownerOf(t, ['a', 'b', 'c'])]))
  const after = new Map(targets.map((t) => [t, ownerOf(t, ['a', 'c'])]))
  for (const t of targets) if (before.get(t) !== 'b') expect(after.get(t)).toBe(before.get(t))
})

it('drops an instance from the live set when its heartbeat goes stale', async () => {
  const store = await openStore(':memory:')
  await heartbeat(store.db, 'a', 15_000, 0)
  await heartbeat(store.db, 'b', 15_000, 0)
  expect((await heartbeat(store.db, 'a', 15_000, 10_000)).live).toEqual(['a', 'b'])
  expect((await heartbeat(store.db, 'a', 15_000, 20_000)).live).toEqual(['a'])
  store.close()
})
