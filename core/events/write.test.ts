import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { events, openStore } from '../store/index.ts'
import type { TandemEvent } from './types.ts'
import { eventWrites } from './write.ts'

const event = (type: TandemEvent['type'], subject: string, at: number): TandemEvent => ({
  type,
  subject,
  at,
  labels: { severity: 'warning' },
  payload: { at },
})

describe('eventWrites', () => {
  it('stores events in order with their ids, and skips one whose news is stored already', async () => {
    const store = await openStore(':memory:')
    const first = eventWrites(store.db, [event('node.down', 'node2', 1)], () => undefined)
    const [one] = first.stored(await store.db.batch(first.statements as [never, ...never[]]))
    // 450 plain events span two INSERT statements; the guarded one sits between them.
    const list = Array.from({ length: 450 }, (_, i) => event('check.failed', `c${i}`, 10 + i))
    list.splice(200, 0, event('node.down', 'node2', 5))
    const second = eventWrites(store.db, list, (e) =>
      e.type === 'node.down'
        ? sql`SELECT 1 FROM events WHERE type = 'node.down' AND subject = ${e.subject}`
        : undefined,
    )
    const stored = second.stored(await store.db.batch(second.statements as [never, ...never[]]))

    expect(one?.id).toBe(1)
    expect(stored).toHaveLength(450)
    expect(stored.some((e) => e.type === 'node.down')).toBe(false)
    const rows = await store.db.select().from(events).orderBy(events.id)
    expect(rows).toHaveLength(451)
    expect(rows.map((r) => r.subject)).toEqual([
      'node2',
      ...list.filter((e) => e.type !== 'node.down').map((e) => e.subject),
    ])
    expect(stored.map((e) => e.id)).toEqual(rows.slice(1).map((r) => r.id))
    expect(rows[5]?.payload).toEqual({ at: 14 })
  })
})
