// One story per incident for the people paged: pending → handling → outcome → resolved, held decisions told once.
import { afterEach, beforeEach, expect, it } from 'vitest'
import { type NotifyHarness, notifyHarness } from '../../test/notify/harness.ts'
import {
  newWebhookSecret,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../test/notify/webhook-receiver.ts'
import type { TandemEvent } from '../health/index.ts'
import type { RunUpdate } from './threads.ts'

const secret = newWebhookSecret()
let ops: WebhookReceiver
let h: NotifyHarness

beforeEach(async () => {
  ops = await startWebhookReceiver({ secret })
  h = await notifyHarness({
    env: { HOOK: secret },
    yaml: `
channels:
  - name: ops
    type: webhook
    with: { url: "${ops.url}", secrets: [env:HOOK], allow: [127.0.0.1/32] }
routes: { receiver: ops, group_by: [severity], group_wait: 10s, group_interval: 1m, repeat_interval: 4h }
`,
  })
})

afterEach(async () => {
  await h.close()
  await ops.close()
})

const sent = () => ops.received.map((x) => (x.payload as { data: Record<string, string> }).data)
const subjects = () => sent().map((d) => d.subject)

function event(type: TandemEvent['type'], subject: string, labels: Record<string, string>) {
  return { type, subject, at: h.clock.now(), labels, payload: {} }
}

const node2 = { severity: 'critical', node: 'node2' }
const pending = {
  incidentKey: 'node.down:node2',
  policy: 'node-down-failover',
  cause: { type: 'node.down', subject: 'node2' },
  labels: node2,
  steps: ['fence the dead node', 'drain its real servers', 'relocate its cluster services'],
}
const run = (moment: RunUpdate['moment']): RunUpdate => ({
  incidentId: 'inc-7',
  runId: 'run-7',
  policy: 'node-down-failover',
  moment,
  labels: node2,
  incidentKey: 'node.down:node2',
  cause: { type: 'node.down', subject: 'node2' },
  steps: [{ step: 'fence the dead node', uses: 'fence.fence', status: 'succeeded', detail: '' }],
})

/** Moves the clock past group_wait and group_interval and delivers what is due. */
async function later(ms = 120_000) {
  h.clock.advance(ms)
  await h.notifier.deliverDue()
}

it('tells the failover as one story: what it will do and when, the outcome, then resolved', async () => {
  // A check of node2 fails first, then the node is called down and the policy starts to wait.
  await h.notifier.onEvents([event('check.failed', 'db/node2/pg', { ...node2, service: 'db' })])
  await h.notifier.onPending({
    ...pending,
    dueAt: h.clock.now() + 20_000,
    description:
      'Fence a dead cluster node, then move its traffic, services and guests to survivors.',
  })
  await h.notifier.onEvents([event('node.down', 'node2', node2)])
  await later()
  await h.notifier.onRun(run('started'))
  await h.notifier.onRun(run('succeeded'))
  await later()
  await h.notifier.onEvents([
    event('node.up', 'node2', node2),
    event('check.recovered', 'db/node2/pg', { ...node2, service: 'db' }),
  ])
  await later()

  expect(subjects()).toEqual([
    '[tandem] PENDING: node node2 is down: in 20 s unless it recovers, tandem will fence a dead cluster node, then move its traffic, services and guests to survivors',
    '[tandem] HANDLING: node node2 is down: tandem is handling it (policy node-down-failover)',
    '[tandem] SUCCEEDED: node node2 is down: policy node-down-failover succeeded',
    '[tandem] RESOLVED: node node2 is down: policy node-down-failover succeeded — resolved',
  ])
  // One thread for mail clients and receivers: every notice carries the first one's key.
  expect(sent()[0]!.summary).toMatch(
    /^Policy node-down-failover acts at .+ unless the cause clears first: 1\. fence the dead node; 2\. drain/,
  )
  expect(new Set(sent().map((d) => d.groupKey))).toEqual(
    new Set(['thread/ops/pending:node.down:node2']),
  )
})

it('says "nothing was done" once when the cause clears before the policy acts', async () => {
  await h.notifier.onPending({ ...pending, dueAt: h.clock.now() + 20_000 })
  await h.notifier.onEvents([event('node.down', 'node2', node2)])
  await later(5_000)
  await h.notifier.onEvents([event('node.up', 'node2', node2)])
  await later()
  expect(subjects()).toEqual([
    '[tandem] PENDING: node node2 is down: in 20 s unless it recovers, tandem will fence the dead node, drain its real servers and relocate its cluster services',
    '[tandem] RESOLVED: node node2 is down: it recovered before tandem acted; nothing was done',
  ])
})

it('pages an event no policy waits on as before', async () => {
  await h.notifier.onEvents([event('node.down', 'node2', node2)])
  await later()
  expect(subjects()).toEqual(['[tandem] FIRING: node node2 is down'])
})

it('sends one "held" notice however many decisions a cooldown holds back', async () => {
  const labels = { severity: 'warning', service: 'web', node: 'node3', check: 'http' }
  for (let i = 0; i < 6; i++) {
    const failing = i % 2 === 0
    const type = failing ? 'check.failed' : 'check.recovered'
    await h.notifier.onEvents([event(type, 'web/node3/http', labels)])
    await h.notifier.onRun({
      incidentId: `inc-${type}-${i}`,
      runId: `run-${i}`,
      policy: failing ? 'real-server-failed' : 'real-server-recovered',
      moment: 'blocked',
      labels,
      cause: { type, subject: 'web/node3/http' },
      steps: [{ step: 'drain', uses: 'lvs.drain', status: 'skipped', detail: 'cooldown' }],
      refused: [{ what: 'policy', guard: 'cooldown', reason: 'last run 30 s ago; cooldown is 2m' }],
    })
    await later(20_000)
  }
  await later()
  const held = sent().filter((d) => d.outcome === 'held')
  expect(held).toHaveLength(1)
  expect(held[0]!.subject).toBe(
    '[tandem] HELD: web on node3 keeps changing: tandem holds back (policy real-server-failed); further decisions go to the audit only',
  )
  expect(held[0]!.summary).toContain('cooldown: last run 30 s ago')
  // Nothing else about the held swings pages: no per-decision BLOCKED, no resolved per swing.
  expect(sent().filter((d) => d.outcome === 'blocked')).toEqual([])
  expect(sent().filter((d) => d.status === 'resolved')).toEqual([])
})
