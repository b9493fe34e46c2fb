// Following the events table: a long backlog moves the cursor chunk by chunk, so a cut-short pass keeps its progress.
import { eq } from 'drizzle-orm'
import { afterEach, expect, it } from 'vitest'
import { TandemError } from '../errors.ts'
import { cursors, events, openStore, type Store } from '../store/index.ts'
import { followEvents } from './follow.ts'

const open: Store[] = []
afterEach(() => {
  for (const store of open.splice(0)) store.close()
})

it('keeps the chunks a lapsed leader handled before its pass was cut short', async () => {
  const store = await openStore(':memory:')
  open.push(store)
  // A restart after a busy outage: 50 events wait for the leader.
  for (let i = 0; i < 50; i++)
    await store.db
      .insert(events)
      .values({ type: 'check.failed', subject: `c${i}`, at: i, payload: {}, labels: {} })
  const handled: string[] = []
  const lapseAt = 45
  const pass = followEvents(
    store,
    'events:remediation',
    async (batch) => {
      for (const event of batch) {
        if (handled.length === lapseAt)
          throw new TandemError('STALE_LEADER', '[runtime] the lease lapsed mid-pass')
        handled.push(event.subject)
      }
    },
    { chunk: 20 },
  )
  await expect(pass).rejects.toMatchObject({ code: 'STALE_LEADER' })
  const position = async () =>
    (await store.db.select().from(cursors).where(eq(cursors.name, 'events:remediation')))[0]
      ?.position
  // Two whole chunks are done for good; the third is handed over again from its start.
  expect(await position()).toBe(40)
  const again: string[] = []
  expect(
    await followEvents(store, 'events:remediation', async (batch) => {
      again.push(...batch.map((e) => e.subject))
    }),
  ).toBe(10)
  expect(again).toEqual(Array.from({ length: 10 }, (_, i) => `c${40 + i}`))
  expect(await position()).toBe(50)
})
