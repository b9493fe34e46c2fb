// One story per incident for the people paged: pending → handling → outcome → resolved, held decisions told once.
import { afterEach, beforeEach, expect, it } from 'vitest'
import { type NotifyHarness, notifyHarness } from '../../test/notify/harness.ts'
import {
  newWebhookSecret,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../test/notify/webhook-receiver.ts'
import type { TandemEvent } from '../events/index.ts'
import type { RunUpdate } from './threads.ts'

const secret = newWebhookSecret()
let ops: WebhookReceiver
let h: NotifyHarness

beforeEach(async () => {
  ops = await startWebhookReceiver({ secret })
  h = await notifyHarness({
    env: { HOOK: secret },
    yaml: `
daemon: { public_url: "https://tandem.example" }
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
const incidentOf = (d: Record<string, unknown>) => d.incident as { id: string }
const linksOf = (d: Record<string, unknown>) => d.links as { label: string; url: string }[]
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
    incidentId: 'inc-7',
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
  // One thread for mail clients and receivers: every notice carries the first one's key, and
  // the incident id the wait opened, from PENDING on (its link works from the first notice).
  expect(sent()[0]!.summary).toMatch(
    /^Policy node-down-failover acts at .+ unless the cause clears first: 1\. fence the dead node; 2\. drain/,
  )
  expect(new Set(sent().map((d) => d.groupKey))).toEqual(new Set(['thread/ops/inc-7']))
  expect(new Set(sent().map((d) => incidentOf(d).id))).toEqual(new Set(['inc-7']))
  expect(linksOf(sent()[0]!)).toEqual([
    { label: 'incident', url: 'https://tandem.example/incidents/inc-7' },
  ])
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

/** A run whose fence waits for a person, as the executor reports it (core/act RunUpdate). */
function awaiting(incidentId: string, status: 'pending' | 'approved' | 'denied' | 'expired') {
  return {
    ...run('blocked'),
    incidentId,
    runId: `run-${incidentId}`,
    steps: [{ step: 'fence the dead node', uses: 'fence.fence', status: 'blocked', detail: '' }],
    refused: [{ what: 'fence the dead node', guard: 'approval', reason: 'waiting' }],
    approvals: [
      {
        id: `apr-${incidentId}`,
        step: 'fence the dead node',
        uses: 'fence.fence',
        target: 'node/node2',
        status,
        expiresAt: h.clock.now() + 1_800_000,
        decidedBy: status === 'denied' ? 'api:ops' : null,
        reason: status === 'denied' ? 'node2 is being serviced' : null,
      },
    ],
  } satisfies RunUpdate
}

it('an approval wait is pending, not blocked; approved it runs, denied it ends; one story each', async () => {
  // Episode 1: the fence waits for a person, who approves; the run goes on and node2 returns.
  await h.notifier.onEvents([event('node.down', 'node2', node2)])
  await h.notifier.onRun(awaiting('inc-1', 'pending'))
  await later()
  await h.notifier.onRun(awaiting('inc-1', 'pending')) // resumed after a restart: still waiting
  await h.notifier.onRun({ ...run('started'), incidentId: 'inc-1', runId: 'run-inc-1' })
  // The next destructive step asks for its own approval; approved, the run goes on quietly.
  const drain = awaiting('inc-1', 'pending')
  drain.approvals[0] = { ...drain.approvals[0]!, id: 'apr-drain', step: 'drain its real servers' }
  await h.notifier.onRun(drain)
  await h.notifier.onRun({ ...run('started'), incidentId: 'inc-1', runId: 'run-inc-1' })
  await h.notifier.onRun({ ...run('succeeded'), incidentId: 'inc-1', runId: 'run-inc-1' })
  await later()
  await h.notifier.onEvents([event('node.up', 'node2', node2)])
  await later()
  // Episode 2, same node: its own story; this time the approval is denied.
  await h.notifier.onEvents([event('node.down', 'node2', node2)])
  await h.notifier.onRun(awaiting('inc-2', 'pending'))
  await later()
  await h.notifier.onRun(awaiting('inc-2', 'denied'))
  await later()
  await h.notifier.onEvents([event('node.up', 'node2', node2)])
  await later()

  const approve = (inc: string) => `approve at https://tandem.example/incidents/${inc}`
  expect(subjects()).toEqual([
    `[tandem] PENDING: node node2 is down: waiting for approval to fence the dead node (node/node2) — ${approve('inc-1')}`,
    '[tandem] HANDLING: node node2 is down: tandem is handling it (policy node-down-failover)',
    `[tandem] PENDING: node node2 is down: waiting for approval to drain its real servers (node/node2) — ${approve('inc-1')}`,
    '[tandem] SUCCEEDED: node node2 is down: policy node-down-failover succeeded',
    '[tandem] RESOLVED: node node2 is down: policy node-down-failover succeeded — resolved',
    `[tandem] PENDING: node node2 is down: waiting for approval to fence the dead node (node/node2) — ${approve('inc-2')}`,
    '[tandem] BLOCKED: node node2 is down: approval to fence the dead node (node/node2) denied by api:ops; policy node-down-failover stopped',
    '[tandem] RESOLVED: node node2 is down: approval to fence the dead node (node/node2) denied by api:ops; policy node-down-failover stopped — resolved',
  ])
  expect(sent().map((d) => d.outcome)).toEqual([
    'pending',
    'handling',
    'pending',
    'succeeded',
    'succeeded',
    'pending',
    'blocked',
    'blocked',
  ])
  expect(sent()[0]!.summary).toMatch(/approval apr-inc-1, until .+`tandem approve apr-inc-1/)
  expect(sent()[6]!.summary).toMatch(
    /^api:ops denied approval apr-inc-2 \(node2 is being serviced\)/,
  )
  // Each episode is one thread with one incident id; the two never mix.
  const keys = sent().map((d) => `${d.groupKey} ${incidentOf(d).id}`)
  expect(keys).toEqual([
    ...Array(5).fill('thread/ops/inc-1 inc-1'),
    ...Array(3).fill('thread/ops/inc-2 inc-2'),
  ])
})

it('titles a run by hand with the action, its target and who asked', async () => {
  const labels = { severity: 'info', actor: 'api:ops', service: 'web', node: 'node2' }
  await h.notifier.onRun({
    incidentId: 'inc-m',
    runId: 'run-m',
    policy: 'manual',
    moment: 'blocked',
    labels,
    incidentKey: 'manual:lvs/web/node2',
    cause: { type: 'manual', subject: 'lvs.drain' },
    steps: [{ step: 'lvs.drain', uses: 'lvs.drain', status: 'skipped', detail: 'monitor blind' }],
    refused: [{ what: 'lvs.drain', guard: 'monitor_blind', reason: 'the monitor is down' }],
  })
  await later()
  expect(subjects()).toEqual([
    '[tandem] BLOCKED: manual lvs.drain lvs/web/node2 by api:ops: the action was blocked',
  ])
})

it('ends the story plainly when nobody decides before the approval expires', async () => {
  await h.notifier.onRun(awaiting('inc-3', 'pending'))
  await later()
  await h.notifier.onRun(awaiting('inc-3', 'expired'))
  await later()
  expect(subjects().slice(1)).toEqual([
    '[tandem] BLOCKED: node node2 is down: nobody approved fence the dead node (node/node2) in time; policy node-down-failover stopped',
  ])
  expect(sent()[1]!.summary).toMatch(/^approval apr-inc-3 expired at .+ with nobody deciding/)
})
