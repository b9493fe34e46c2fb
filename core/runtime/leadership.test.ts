// The leader lease as an instance sees it: a late renewal of a lone leader keeps its token; a takeover does not.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, expect, it } from 'vitest'
import { createLogger } from '../log.ts'
import { assertLeaseToken, openStore, type Store } from '../store/index.ts'
import { createLeadership } from './leadership.ts'

const open: Store[] = []
afterEach(() => {
  for (const store of open.splice(0)) store.close()
})

/** Two handles on one file stand for two instances; each instance's log is kept. */
async function instances() {
  const url = `file:${join(await mkdtemp(join(tmpdir(), 'tandem-leader-')), 't.db')}`
  return Promise.all(
    ['A', 'B'].map(async (id) => {
      const store = await openStore(url)
      open.push(store)
      const out = new PassThrough()
      const lines: string[] = []
      out.on('data', (chunk) => lines.push(String(chunk)))
      const log = createLogger({ destination: out, format: 'json' })
      return { leader: createLeadership(store, id, 1_000, log), store, lines }
    }),
  )
}

it('keeps a lone leader`s token when its renewal came past the lease (a stalled event loop)', async () => {
  const [a] = await instances()
  // The last renewal was 5 s ago on a 1 s lease: by its own clock A has lapsed.
  expect(await a!.leader.renew(Date.now() - 5_000)).toEqual({ leading: true, gained: true })
  expect(a!.leader.token()).toBeUndefined()
  await expect(a!.leader.check(1)).rejects.toThrow('no longer leads with token 1')

  // Nobody took it in between: A leads again under the same token.
  expect(await a!.leader.renew()).toEqual({ leading: true, gained: true })
  expect(a!.leader.token()).toBe(1)
  await a!.store.db.transaction((tx) => a!.leader.check(1, tx))
  const said = a!.lines.join('')
  expect(said).toContain('lease lapsed and re-taken with the same token')
  expect(said).not.toContain('lost leadership')
})

it('still hands a frozen leader`s lapsed lease to another instance, with a higher token', async () => {
  const [a, b] = await instances()
  await a!.leader.renew(Date.now() - 5_000)
  expect(await b!.leader.renew()).toEqual({ leading: true, gained: true })
  expect(b!.leader.token()).toBe(2)

  // A thaws: it does not lead, and its writes under token 1 are refused in the store too.
  expect(await a!.leader.renew()).toEqual({ leading: false, gained: false })
  await expect(a!.leader.check(1)).rejects.toMatchObject({ code: 'STALE_LEADER' })
  await expect(a!.store.db.transaction((tx) => assertLeaseToken(tx, 'leader', 1))).rejects.toThrow(
    'token 1 is no longer current (now 2)',
  )
})

it('shares one renewal between callers while it is in flight: late renewals do not pile up', async () => {
  const [a] = await instances()
  const first = a!.leader.renew()
  expect(a!.leader.renew()).toBe(first)
  await first
  expect(a!.leader.renew()).not.toBe(first)
})
