// 50 nodes failing within 10 seconds: one grouped notice per group, not 50 pages.
import { afterEach, beforeEach, expect, it } from 'vitest'
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
    with: { url: "${rx.url}", secrets: [env:HOOK], allow: [127.0.0.1/32] }
routes:
  receiver: ops
  group_by: [rack]
  group_wait: 30s
  group_interval: 5m
`,
  })
})

afterEach(async () => {
  await h.close()
  await rx.close()
})

it('turns 50 node failures in 10 s into one notice per group', async () => {
  const { notifier, clock } = h
  for (let i = 1; i <= 50; i++) {
    const node = `node${String(i).padStart(2, '0')}`
    const rack = i <= 30 ? 'r1' : 'r2'
    await notifier.onEvents([
      {
        type: 'node.down',
        subject: node,
        at: clock.now(),
        labels: { severity: 'critical', node, rack },
        payload: {},
      },
      // Each node's checks fail too, and the probes keep reporting: still one alert per problem.
      {
        type: 'check.failed',
        subject: `node/${node}/ssh`,
        at: clock.now(),
        labels: { severity: 'warning', node, rack, check: 'ssh' },
        payload: {},
      },
      {
        type: 'node.down',
        subject: node,
        at: clock.now(),
        labels: { severity: 'critical', node, rack },
        payload: {},
      },
    ])
    clock.advance(200)
    await notifier.deliverDue()
  }
  expect(rx.received).toHaveLength(0)
  clock.advance(30_000)
  await notifier.deliverDue()
  const notices = rx.received.map(
    (r) =>
      (r.payload as { data: { groupLabels: { rack: string }; events: { subject: string }[] } })
        .data,
  )
  expect(notices.map((n) => [n.groupLabels.rack, n.events.length]).sort()).toEqual([
    ['r1', 60],
    ['r2', 40],
  ])
  expect(new Set(notices.flatMap((n) => n.events.map((e) => e.subject))).size).toBe(100)
  clock.advance(600_000)
  await notifier.deliverDue()
  expect(rx.received).toHaveLength(2)
})
