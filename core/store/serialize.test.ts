// Many callers on one embedded store at once: every statement and transaction waits its turn.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { count } from 'drizzle-orm'
import { expect, it } from 'vitest'
import { events, openStore } from './index.ts'

it('runs concurrent transactions and queries without TRANSACTION_ACTIVE or SQLITE_BUSY', async () => {
  const store = await openStore(
    `file:${join(await mkdtemp(join(tmpdir(), 'tandem-serial-')), 't.db')}`,
  )
  const { db } = store
  const event = (i: number) => ({
    type: 'manual',
    subject: `s${i}`,
    at: i,
    payload: {},
    labels: {},
  })
  const work = Array.from({ length: 50 }, (_, i) =>
    i % 3 === 0
      ? db.transaction(async (tx) => {
          await tx.insert(events).values(event(i))
          await new Promise((resolve) => setTimeout(resolve, 1))
          await tx.insert(events).values(event(i + 1000))
        })
      : i % 3 === 1
        ? db.insert(events).values(event(i))
        : db.select({ n: count() }).from(events),
  )
  await Promise.all(work)
  const [row] = await db.select({ n: count() }).from(events)
  expect(row?.n).toBe(17 * 2 + 17)
  store.close()
})

it('rolls a failed transaction back and keeps serving others', async () => {
  const store = await openStore(':memory:')
  const failing = store.db.transaction(async (tx) => {
    await tx.insert(events).values({ type: 'manual', subject: 'x', at: 1, payload: {}, labels: {} })
    throw new Error('boom')
  })
  const after = store.db
    .insert(events)
    .values({ type: 'manual', subject: 'y', at: 2, payload: {}, labels: {} })
  await expect(failing).rejects.toThrow('boom')
  await after
  expect((await store.db.select().from(events)).map((e) => e.subject)).toEqual(['y'])
  store.close()
})
