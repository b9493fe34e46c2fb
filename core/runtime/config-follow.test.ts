// Instances on one store follow the config revision a save bumps: each reloads once, the saver not twice.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createLogger } from '../log.ts'
import { bumpConfigRevision, openStore, type Store } from '../store/index.ts'
import { createConfigFollower } from './config-follow.ts'

let dir: string
const stores: Store[] = []
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-follow-'))
})
afterAll(async () => {
  for (const store of stores) store.close()
  await rm(dir, { recursive: true, force: true })
})

it('a save through one instance makes the others reload, each once', async () => {
  const url = `file:${join(dir, 'tandem.db')}`
  const log = createLogger({ level: 'silent' })
  const reloads = { saver: 0, other: 0 }
  const instance = async (name: keyof typeof reloads) => {
    const store = await openStore(url)
    stores.push(store)
    const follower = await createConfigFollower({
      store,
      log,
      reload: async () => {
        reloads[name]++
        return { status: 'reloaded', changed: ['services'], restartFor: [] }
      },
    })
    return { store, follower }
  }
  const saver = await instance('saver')
  const other = await instance('other')
  expect(await other.follower.follow()).toBeUndefined()

  // What the save route does: bump the revision, then reload the saving instance.
  await bumpConfigRevision(saver.store.db)
  await saver.follower.reload()
  expect(await saver.follower.follow()).toBeUndefined()
  expect(await other.follower.follow()).toMatchObject({ status: 'reloaded' })
  expect(await other.follower.follow()).toBeUndefined()
  expect(reloads).toEqual({ saver: 1, other: 1 })

  // Two saves in a row elsewhere: one reload reads the file as the last one left it.
  await bumpConfigRevision(saver.store.db)
  await bumpConfigRevision(saver.store.db)
  await other.follower.follow()
  expect(await other.follower.follow()).toBeUndefined()
  expect(reloads.other).toBe(2)
})
