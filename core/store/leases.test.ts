// Leases on one database file shared by several handles: one holder, rising tokens, stale writes refused.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { events, openStore, type Store } from './index.ts'
import { acquireLease, assertLeaseToken, leaseHolder, releaseLease } from './leases.ts'

const open: Store[] = []
afterEach(() => {
  for (const store of open.splice(0)) store.close()
})

async function twoHandles() {
  const url = `file:${join(await mkdtemp(join(tmpdir(), 'tandem-lease-')), 't.db')}`
  const a = await openStore(url)
  const b = await openStore(url)
  open.push(a, b)
  return [a, b] as const
}

describe('leases', () => {
  it('gives a lease to one holder at a time and keeps its token on renewal', async () => {
    const [a, b] = await twoHandles()
    const first = await acquireLease(a.db, 'leader', 'A', 1_000, 0)
    expect(first).toMatchObject({ holder: 'A', token: 1 })
    expect(await acquireLease(b.db, 'leader', 'B', 1_000, 500)).toBeUndefined()
    expect(await acquireLease(a.db, 'leader', 'A', 1_000, 900)).toMatchObject({
      token: 1,
      expiresAt: 1_900,
    })
  })

  it('hands an expired lease over with a higher token, and refuses the old holder`s writes', async () => {
    const [a, b] = await twoHandles()
    const old = (await acquireLease(a.db, 'leader', 'A', 1_000, 0))!
    // A pauses past its lease (SIGSTOP); B takes over.
    const next = (await acquireLease(b.db, 'leader', 'B', 1_000, 1_500))!
    expect(next.token).toBe(2)
    const lateWrite = a.db.transaction(async (tx) => {
      await tx
        .insert(events)
        .values({ type: 'manual', subject: 'late', at: 1_600, payload: {}, labels: {} })
      await assertLeaseToken(tx, 'leader', old.token, 1_600)
    })
    await expect(lateWrite).rejects.toThrow('[lease] leader token 1 is no longer current (now 2)')
    // The refused write was rolled back with its transaction.
    expect(await a.db.select().from(events)).toEqual([])
    expect((await leaseHolder(a.db, 'leader', 1_600))?.holder).toBe('B')
  })

  it('keeps the token when a holder re-takes its own lapsed lease with nobody in between', async () => {
    const [a, b] = await twoHandles()
    await acquireLease(a.db, 'leader', 'A', 1_000, 0)
    // A's renewal came 1.5 s late (a stalled event loop): nobody else wrote under a newer token.
    expect(await acquireLease(a.db, 'leader', 'A', 1_000, 2_500)).toEqual({
      name: 'leader',
      holder: 'A',
      token: 1,
      expiresAt: 3_500,
    })
    // Someone else in between does raise it, and A, back after that, raises it again.
    expect(await acquireLease(b.db, 'leader', 'B', 1_000, 5_000)).toMatchObject({ token: 2 })
    expect(await acquireLease(a.db, 'leader', 'A', 1_000, 7_000)).toMatchObject({ token: 3 })
  })

  it('lets a successor in at once after a clean release', async () => {
    const [a, b] = await twoHandles()
    await acquireLease(a.db, 'leader', 'A', 60_000, 0)
    await releaseLease(a.db, 'leader', 'A')
    expect(await acquireLease(b.db, 'leader', 'B', 60_000, 10)).toMatchObject({
      holder: 'B',
      token: 2,
    })
  })
})
