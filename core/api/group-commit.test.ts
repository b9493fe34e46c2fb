// Group commit: shared transactions, exact de-duplication, all-or-nothing failure, and a bounded queue.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from '../store/index.ts'
import { createGroupCommitter } from './group-commit.ts'
import { HttpError } from './http-error.ts'

interface Row {
  dedupKey: string
}

let store: Store
let transactions: number
beforeEach(async () => {
  store = await openStore(':memory:')
  await store.client.execute('CREATE TABLE seen (key TEXT PRIMARY KEY)')
  transactions = 0
})
afterEach(() => store.close())

/** A real transaction on a real table, keyed like events.dedup_key. */
async function commit(rows: Row[]): Promise<Set<string>> {
  transactions++
  const results = await store.client.batch(
    rows.map((r) => ({
      sql: 'INSERT INTO seen (key) VALUES (?) ON CONFLICT (key) DO NOTHING RETURNING key',
      args: [r.dedupKey],
    })),
    'write',
  )
  return new Set(results.flatMap((r) => r.rows.map((row) => String(row.key))))
}

const rows = (...keys: string[]) => keys.map((dedupKey) => ({ dedupKey }))
const count = async () =>
  Number((await store.client.execute('SELECT count(*) AS n FROM seen')).rows[0]?.n)

describe('createGroupCommitter', () => {
  it('commits requests of one turn together and credits a shared key to the first sender', async () => {
    const writer = createGroupCommitter({ commit, maxBatchRows: 100, maxQueuedRows: 1_000 })
    const stored = await Promise.all([
      writer.write(rows('a', 'b')),
      writer.write(rows('b', 'a')), // the HA peer
      writer.write(rows('a', 'b')), // a retry
      writer.write(rows('c')),
    ])
    expect(stored.map((r) => r.length)).toEqual([2, 0, 0, 1])
    expect(transactions).toBe(1)
    expect(await writer.write(rows('a', 'd'))).toEqual(rows('d')) // across batches too
    expect(await count()).toBe(4)
  })

  it('fails every request of a batch the store refuses, and none is half stored', async () => {
    const writer = createGroupCommitter({ commit, maxBatchRows: 100, maxQueuedRows: 1_000 })
    await store.client.execute('PRAGMA query_only = ON')
    const outcomes = await Promise.allSettled([
      writer.write(rows('x')),
      writer.write(rows('y', 'z')),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected'])
    await store.client.execute('PRAGMA query_only = OFF')
    expect(await count()).toBe(0)
    expect(await writer.write(rows('x', 'y', 'z'))).toHaveLength(3)
  })

  it('splits large queues into batches and refuses at once (503) beyond the queue bound', async () => {
    const writer = createGroupCommitter({ commit, maxBatchRows: 4, maxQueuedRows: 6 })
    const first = writer.write(rows('1', '2', '3'))
    const second = writer.write(rows('4', '5', '6'))
    const refused = writer.write(rows('7'))
    await expect(refused).rejects.toBeInstanceOf(HttpError)
    await expect(refused).rejects.toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' })
    expect((await Promise.all([first, second])).map((r) => r.length)).toEqual([3, 3])
    expect(transactions).toBe(2) // 3 + 3 rows exceed a batch of 4
    expect(await writer.write(rows('7'))).toHaveLength(1) // room again once committed
    // A single request larger than a batch still goes, alone.
    expect(await writer.write(rows('8', '9', '10', '11', '12'))).toHaveLength(5)
  })
})
