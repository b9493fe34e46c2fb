// A receiver down for two minutes, then up: every notice arrives exactly once, in order within its group.
import { asc } from 'drizzle-orm'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { outbox } from '../../core/store/index.ts'
import { type NotifyHarness, notifyHarness } from './harness.ts'
import { newWebhookSecret, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts'

const secret = newWebhookSecret()
let rx: WebhookReceiver
let h: NotifyHarness

beforeEach(async () => {
  rx = await startWebhookReceiver({ secret })
  h = await notifyHarness({
    env: { HOOK: secret },
    yaml: `
channels:
  - name: ops
    type: webhook
    timeout: 1s
    retry: { max_attempts: 50, initial: 2s, max: 20s }
    with: { url: "${rx.url}", secrets: [env:HOOK], allow: [127.0.0.1/32] }
routes:
  receiver: ops
  group_by: [node]
  group_wait: 0s
  group_interval: 10s
`,
  })
})

afterEach(async () => {
  await h.close()
  await rx.close()
})

it('delivers every notice once, in order per group, after two minutes down', async () => {
  const { notifier, clock } = h
  await rx.down()
  const nodes = Array.from({ length: 8 }, (_, i) => `node${i + 1}`)
  const event = (type: 'node.down' | 'node.up', node: string) => ({
    type,
    subject: node,
    at: clock.now(),
    labels: { severity: type === 'node.down' ? 'critical' : 'info', node },
    payload: {},
  })
  // Fire, resolve and fire again while the receiver is down: three notices per group.
  for (const step of ['node.down', 'node.up', 'node.down'] as const) {
    await notifier.onEvents(nodes.map((n) => event(step, n)))
    for (let t = 0; t < 40_000; t += 5_000) {
      await notifier.deliverDue()
      clock.advance(5_000)
    }
  }
  expect(rx.requests).toBe(0)
  const failedAttempts = (await h.store.db.select().from(outbox)).reduce(
    (sum, r) => sum + r.attempts,
    0,
  )
  expect(failedAttempts).toBeGreaterThan(8)

  await rx.up()
  for (let t = 0; t < 120_000 && rx.received.length < 24; t += 5_000) {
    clock.advance(5_000)
    await notifier.deliverDue()
  }
  const rows = await h.store.db.select().from(outbox).orderBy(asc(outbox.createdAt))
  expect(rows).toHaveLength(24)
  expect(rows.every((r) => r.status === 'delivered')).toBe(true)
  expect(rx.received.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort())
  expect(rx.duplicates).toEqual([])
  for (const node of nodes) {
    const arrived = rx.received
      .map((r) => (r.payload as { data: { groupKey: string; status: string; id: string } }).data)
      .filter((d) => d.groupKey.includes(`"node":"${node}"`))
    expect(arrived.map((d) => d.status)).toEqual(['firing', 'resolved', 'firing'])
    expect(arrived.map((d) => d.id)).toEqual(
      rows.filter((r) => r.groupKey === arrived[0]?.groupKey).map((r) => r.id),
    )
  }
})
