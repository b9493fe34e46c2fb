// Silences end once: the store's owner of silences ends one now, and it stops muting at once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from '../store/index.ts'
import { addSilence, expireSilence, inMaintenance } from './silences.ts'

let store: Store
beforeEach(async () => {
  store = await openStore(':memory:')
})
afterEach(() => store.close())

describe('expireSilence', () => {
  it('ends a window now, once: the second call and an unknown id end nothing', async () => {
    const window = await addSilence(store.db, {
      kind: 'maintenance',
      matchers: ['node="node2"'],
      startsAt: 1_000,
      endsAt: 100_000,
      createdBy: 'ana',
      comment: 'BIOS update',
    })
    expect(await inMaintenance(store.db, { node: 'node2' }, 5_000)).toBe(true)
    const ended = await expireSilence(store.db, window.id, 5_000)
    expect(ended).toMatchObject({ id: window.id, endsAt: 5_000, kind: 'maintenance' })
    expect(await inMaintenance(store.db, { node: 'node2' }, 5_000)).toBe(false)
    expect(await expireSilence(store.db, window.id, 6_000)).toBeUndefined()
    expect(await expireSilence(store.db, 'sil_none', 6_000)).toBeUndefined()
  })
})
