import { beforeEach, describe, expect, it } from 'vitest'
import { events, healthStates, openStore, type Store } from '../store/index.ts'
import {
  fenceConfirmed,
  fencedThisEpisode,
  fenceFailed,
  fenceStarting,
  fenceSucceeded,
} from './fence-state.ts'
import type { ClusterSnapshot } from './types.ts'

// The cluster has dropped node2 from its members: only the fence record decides.
const cluster: ClusterSnapshot = { quorate: true, members: ['node1', 'node3'], source: 'test' }

let store: Store
beforeEach(async () => {
  store = await openStore(':memory:')
})

const rejoined = (node: string, at: number) =>
  store.db.insert(events).values({ type: 'node.up', subject: node, at, labels: {}, payload: {} })
const health = (node: string, state: string, at: number) =>
  store.db
    .insert(healthStates)
    .values({ target: `node/${node}`, kind: 'node', state, since: at, updatedAt: at })
    .onConflictDoUpdate({ target: healthStates.target, set: { state, since: at, updatedAt: at } })
const fence = async (node: string, incident: string, at: number) => {
  await fenceStarting(store.db, node, incident, at)
  await fenceSucceeded(store.db, node, incident, 'ipmi', at + 1)
}

describe('fence before recover', () => {
  it('allows recovery once the fence of this episode is confirmed and the node is silent', async () => {
    await health('node2', 'down', 100)
    expect((await fenceConfirmed(store.db, 'node2', cluster)).ok).toBe(false)
    await fence('node2', 'inc-1', 200)
    expect(await fenceConfirmed(store.db, 'node2', cluster)).toMatchObject({ ok: true })
  })

  it('asks for a new fence after the node rejoined and failed again (the second episode)', async () => {
    await health('node2', 'down', 100)
    await fence('node2', 'inc-1', 200)
    await rejoined('node2', 300)
    await health('node2', 'down', 400)
    const second = await fenceConfirmed(store.db, 'node2', cluster)
    expect(second.ok).toBe(false)
    expect(second.reason).toMatch(/node2 is not confirmed fenced since its latest failure/)
    await fence('node2', 'inc-2', 500)
    expect(await fencedThisEpisode(store.db, 'node2')).toEqual({
      confirmedAt: 501,
      incidentId: 'inc-2',
    })
  })

  it("counts a node.down seen after the fence, with no rejoin, as the fence's own effect", async () => {
    await fence('node2', 'inc-1', 200)
    await store.db
      .insert(events)
      .values({ type: 'node.down', subject: 'node2', at: 250, labels: {}, payload: {} })
    await health('node2', 'down', 250)
    expect((await fenceConfirmed(store.db, 'node2', cluster)).ok).toBe(true)
  })

  it('refuses while a fenced node still answers', async () => {
    await fence('node2', 'inc-1', 200)
    await health('node2', 'up', 300)
    const answering = await fenceConfirmed(store.db, 'node2', {
      ...cluster,
      members: ['node1', 'node2', 'node3'],
    })
    expect(answering.ok).toBe(false)
    expect(answering.reason).toMatch(/node2 was fenced but still answers/)
  })

  it('keeps a node whose fencing failed unclean, counting the failures', async () => {
    await health('node2', 'down', 100)
    await fenceStarting(store.db, 'node2', 'inc-1', 200)
    await fenceFailed(store.db, 'node2', 'inc-1', 210, 'agent timed out')
    await fenceStarting(store.db, 'node2', 'inc-1', 220)
    await fenceFailed(store.db, 'node2', 'inc-1', 230, 'agent timed out')
    const refused = await fenceConfirmed(store.db, 'node2', cluster)
    expect(refused.ok).toBe(false)
    expect(refused.reason).toContain('unclean, 2 failed fence(s): agent timed out')
  })

  it('forgets an earlier confirmation as soon as a new fence starts', async () => {
    await fence('node2', 'inc-1', 200)
    await fenceStarting(store.db, 'node2', 'inc-2', 300)
    expect(await fencedThisEpisode(store.db, 'node2')).toBeUndefined()
  })
})
