// The store round-trips every table through the real migrations, on a file and in memory.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import * as t from './index.ts'

async function roundTrip(store: t.Store) {
  const { db } = store
  const now = Date.now()
  const [event] = await db
    .insert(t.events)
    .values({
      type: 'node.down',
      subject: 'node2',
      at: now,
      payload: { votes: 2 },
      labels: { node: 'node2' },
    })
    .returning()
  await db.insert(t.incidents).values({
    id: 'inc1',
    key: 'node.down:node2',
    status: 'open',
    title: 'node2 down',
    openedAt: now,
    eventId: event!.id,
  })
  await db.insert(t.runs).values({
    id: 'run1',
    incidentId: 'inc1',
    policy: 'node-down',
    trigger: { event: event!.id },
    status: 'running',
    actor: 'policy',
    startedAt: now,
  })
  await db.insert(t.steps).values({
    id: 'step1',
    runId: 'run1',
    index: 0,
    name: 'fence',
    uses: 'fence.fence',
    input: { node: 'node2' },
    commands: [['fence_ipmilan']],
    status: 'running',
    idempotencyKey: 'inc1:0',
  })
  await db.insert(t.approvals).values({
    id: 'ap1',
    stepId: 'step1',
    status: 'pending',
    requestedAt: now,
    expiresAt: now + 60_000,
  })
  await db
    .insert(t.healthStates)
    .values({ target: 'node/node2', kind: 'node', state: 'down', since: now, updatedAt: now })
  await db.insert(t.fenceStates).values({ node: 'node2', state: 'unclean', updatedAt: now })
  await db.insert(t.auditLog).values({
    at: now,
    actor: 'policy:node-down',
    action: 'fence.fence',
    decision: 'allowed',
    argv: [['fence_ipmilan']],
  })
  await db.insert(t.outbox).values({
    id: 'n1',
    receiver: 'oncall',
    groupKey: 'g',
    payload: { title: 'x' },
    status: 'pending',
    nextAttemptAt: now,
    createdAt: now,
  })
  await db
    .insert(t.notifyGroups)
    .values({ key: 'g', receiver: 'oncall', labels: {}, firstAt: now, pending: [] })
  await db
    .insert(t.receiverStates)
    .values({ receiver: 'hook', disabled: true, reason: '410 Gone', updatedAt: now })
  await db
    .insert(t.leases)
    .values({ name: 'leader', holder: 'a', token: 1, expiresAt: now + 10_000 })
  await db.insert(t.instances).values({ id: 'a', startedAt: now, heartbeatAt: now })
  await db.insert(t.silences).values({
    id: 's1',
    kind: 'maintenance',
    matchers: [{ label: 'node', op: '=', value: 'node1' }],
    startsAt: now,
    endsAt: now + 1,
    createdBy: 'me',
    comment: 'kernel',
  })
  await db
    .insert(t.apiTokens)
    .values({ id: 'tok', name: 'ops', hash: 'h', scopes: ['read'], createdAt: now })
  await db
    .insert(t.idempotencyKeys)
    .values({ key: 'k', scope: 'actions', response: { ok: true }, createdAt: now })
  await db
    .insert(t.policyTimers)
    .values({ key: 'p:node2', policy: 'node-down', since: now, dueAt: now + 20_000 })
  await db
    .insert(t.policyStates)
    .values({ file: 'policies/a.yaml', name: 'a', hash: 'x', loadedAt: now })

  const incident = await db.query.incidents.findFirst({
    where: eq(t.incidents.id, 'inc1'),
    with: { runs: { with: { steps: true } }, event: true },
  })
  expect(incident?.event?.payload).toEqual({ votes: 2 })
  expect(incident?.runs[0]?.steps[0]).toMatchObject({
    uses: 'fence.fence',
    input: { node: 'node2' },
    commands: [['fence_ipmilan']],
  })
  const [silence] = await db.select().from(t.silences)
  expect(silence?.matchers).toEqual([{ label: 'node', op: '=', value: 'node1' }])
  // The same dedup key twice is refused: the store is what makes ingest idempotent.
  await db.insert(t.events).values({
    type: 'alert.received',
    subject: 'a',
    at: now,
    payload: {},
    labels: {},
    dedupKey: 'fp:firing',
  })
  await expect(
    db.insert(t.events).values({
      type: 'alert.received',
      subject: 'a',
      at: now,
      payload: {},
      labels: {},
      dedupKey: 'fp:firing',
    }),
  ).rejects.toThrow()
}

describe('openStore', () => {
  it('round-trips every table in memory', async () => {
    const store = await t.openStore(':memory:')
    expect(store.kind).toBe('memory')
    await roundTrip(store)
    store.close()
  })

  it('round-trips on a file with WAL and synchronous=FULL, and keeps data across reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-store-'))
    const url = `file:${join(dir, 'sub', 'tandem.db')}`
    const store = await t.openStore(url)
    await roundTrip(store)
    const mode = await store.client.execute('PRAGMA journal_mode')
    expect(mode.rows[0]?.[0]).toBe('wal')
    const sync = await store.client.execute('PRAGMA synchronous')
    expect(sync.rows[0]?.[0]).toBe(2)
    store.close()

    const again = await t.openStore(url)
    const rows = await again.db.select().from(t.steps)
    expect(rows.map((r) => r.id)).toEqual(['step1'])
    again.close()
  })

  it('refuses an unsupported URL with a clear message', async () => {
    await expect(t.openStore('postgres://x')).rejects.toThrow(
      '[store] unsupported URL postgres://x',
    )
  })
})
