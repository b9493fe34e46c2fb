// The notifier end to end over a real store and real HTTP receivers: outcome-aware threads,
// maintenance and escalation, silences, and what each receiver answer does to the outbox.
import { eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type NotifyHarness, notifyHarness } from '../../test/notify/harness.ts'
import {
  newWebhookSecret,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../test/notify/webhook-receiver.ts'
import type { NoticeSink } from '../act/index.ts'
import type { TandemEvent } from '../events/index.ts'
import { outbox, receiverStates } from '../store/index.ts'
import { addSilence, expireSilence } from './silences.ts'

const secret = newWebhookSecret()
let ops: WebhookReceiver
let pager: WebhookReceiver
let h: NotifyHarness

function yaml(extra = '') {
  return `
daemon: { public_url: "https://tandem.example" }
channels:
  - name: ops
    type: webhook
    timeout: 1s
    retry: { max_attempts: 3, initial: 1s, max: 10s }
    with: { url: "${ops.url}", secrets: [env:HOOK], allow: [127.0.0.1/32] }
  - name: pager
    type: webhook
    with: { url: "${pager.url}", secrets: [env:HOOK], allow: [127.0.0.1/32] }
routes:
  receiver: ops
  escalation: pager
  group_by: [severity]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
${extra}`
}

function down(node: string, at: number, type: TandemEvent['type'] = 'node.down'): TandemEvent {
  return {
    type,
    subject: node,
    at,
    labels: { severity: 'critical', node },
    payload: { detail: `${node}: 3 of 3 probes failed` },
  }
}

function up(node: string, at: number): TandemEvent {
  return { type: 'node.up', subject: node, at, labels: { severity: 'info', node }, payload: {} }
}

const data = (r: WebhookReceiver) =>
  r.received.map((x) => (x.payload as { data: Record<string, unknown> }).data)

beforeEach(async () => {
  ops = await startWebhookReceiver({ secret })
  pager = await startWebhookReceiver({ secret })
  h = await notifyHarness({ yaml: yaml(), env: { HOOK: secret } })
})

afterEach(async () => {
  await h.close()
  await ops.close()
  await pager.close()
})

describe('a remediation thread', () => {
  it('is what the executor talks to (its NoticeSink)', () => {
    const sink: NoticeSink = h.notifier
    expect(sink.runUpdate).toBe(h.notifier.onRun)
  })

  it("tells the policy's own channels only the moments it asked for", async () => {
    const labels = { severity: 'warning', service: 'web' }
    const base = {
      incidentId: 'inc-w',
      runId: 'rw',
      policy: 'web-degraded',
      labels,
      channels: ['pager'],
    }
    await h.notifier.onRun({ ...base, moment: 'started', notifyOn: ['failed'] })
    await h.notifier.onRun({ ...base, moment: 'failed', notifyOn: ['failed'] })
    await h.notifier.deliverDue()
    expect(data(ops).map((d) => d.outcome)).toEqual(['handling', 'failed'])
    expect(data(pager).map((d) => d.outcome)).toEqual(['failed'])
  })

  it('sends one "handling it", then the outcome, then resolved, not a page per probe failure', async () => {
    const { notifier, clock } = h
    await notifier.onEvents([down('node2', clock.now())])
    clock.advance(5_000)
    await notifier.onRun({
      incidentId: 'inc-1',
      runId: 'run-1',
      policy: 'node-down',
      moment: 'started',
      labels: { severity: 'critical', node: 'node2', event: 'node.down' },
      title: 'node node2 is down',
    })
    await notifier.deliverDue()
    expect(data(ops).map((d) => d.outcome)).toEqual(['handling'])

    for (const check of ['ssh', 'http', 'pg']) {
      clock.advance(2_000)
      await notifier.onEvents([
        {
          type: 'check.failed',
          subject: `web/node2/${check}`,
          at: clock.now(),
          labels: { severity: 'warning', node: 'node2', check },
          payload: {},
        },
      ])
    }
    clock.advance(60_000)
    await notifier.deliverDue()
    expect(ops.received).toHaveLength(1)

    await notifier.onRun({
      incidentId: 'inc-1',
      runId: 'run-1',
      policy: 'node-down',
      moment: 'succeeded',
      labels: { severity: 'critical', node: 'node2', event: 'node.down' },
      steps: [
        {
          step: 'fence node2',
          uses: 'fence.fence',
          status: 'succeeded',
          detail: 'node2 confirmed off',
        },
      ],
    })
    await notifier.deliverDue()
    const done = data(ops)[1]!
    expect(done).toMatchObject({
      outcome: 'succeeded',
      status: 'firing',
      incident: { id: 'inc-1', policy: 'node-down' },
    })
    expect(done.actions).toEqual([
      {
        step: 'fence node2',
        uses: 'fence.fence',
        status: 'succeeded',
        detail: 'node2 confirmed off',
      },
    ])
    expect((done.events as unknown[]).length).toBe(4)
    expect(done.links).toEqual([
      { label: 'incident', url: 'https://tandem.example/incidents/inc-1' },
    ])

    clock.advance(600_000)
    await notifier.onEvents([up('node2', clock.now())])
    await notifier.onEvents(
      ['ssh', 'http', 'pg'].map((check) => ({
        type: 'check.recovered' as const,
        subject: `web/node2/${check}`,
        at: clock.now(),
        labels: { severity: 'info', node: 'node2', check },
        payload: {},
      })),
    )
    await notifier.deliverDue()
    expect(data(ops).map((d) => `${d.outcome}/${d.status}`)).toEqual([
      'handling/firing',
      'succeeded/firing',
      'succeeded/resolved',
    ])
    expect(pager.received).toHaveLength(0)
  })

  it('escalates a failure during maintenance, and mutes the rest', async () => {
    const { notifier, clock, store } = h
    await addSilence(store.db, {
      kind: 'maintenance',
      matchers: ['node="node3"'],
      startsAt: clock.now() - 1,
      endsAt: clock.now() + 3_600_000,
      createdBy: 'ana',
      comment: 'firmware update',
    })
    const labels = { severity: 'critical', node: 'node3', event: 'node.down' }
    await notifier.onEvents([down('node3', clock.now())])
    await notifier.onRun({
      incidentId: 'inc-3',
      runId: 'r3',
      policy: 'node-down',
      moment: 'started',
      labels,
    })
    await notifier.onRun({
      incidentId: 'inc-3',
      runId: 'r3',
      policy: 'node-down',
      moment: 'failed',
      labels,
      steps: [
        {
          step: 'relocate db',
          uses: 'rgmanager.relocate',
          status: 'failed',
          detail: 'clusvcadm: Temporary failure',
        },
      ],
      refused: [
        { what: 'xen.migrate guest1', guard: 'maintenance', reason: 'node3 is in maintenance' },
      ],
    })
    clock.advance(3_600_000)
    await notifier.deliverDue()
    expect(ops.received).toHaveLength(0)
    expect(data(pager).map((d) => d.outcome)).toEqual(['failed'])
    expect(data(pager)[0]?.refused).toEqual([
      { what: 'xen.migrate guest1', guard: 'maintenance', reason: 'node3 is in maintenance' },
    ])
    const muted = await store.db.select().from(outbox).where(eq(outbox.status, 'muted'))
    expect(muted.map((m) => m.receiver)).toEqual(['ops', 'ops'])
    expect(muted[0]?.lastError).toMatch(/^muted by maintenance .* \(ana: firmware update\)$/)
  })

  it('sends escalations past silences to the escalation receiver', async () => {
    await addSilence(h.store.db, {
      matchers: ['node=~".+"'],
      startsAt: h.clock.now() - 1,
      endsAt: h.clock.now() + 60_000,
      createdBy: 'ana',
      comment: 'noisy',
    })
    await h.notifier.escalate({
      incidentId: 'inc-9',
      severity: 'critical',
      title: 'node2 stays unclean: fencing failed on every level',
      detail: 'services stay where they are until a human confirms node2 is off',
      labels: { node: 'node2', severity: 'critical' },
    })
    await h.notifier.deliverDue()
    expect(data(pager).map((d) => [d.outcome, d.title])).toEqual([
      ['escalated', 'node2 stays unclean: fencing failed on every level'],
    ])
  })
})

describe('reminders and one-shot alerts', () => {
  it('reminds about a failed remediation while its problem lasts, then lets the thread go', async () => {
    const { notifier, clock } = h
    const labels = { severity: 'critical', node: 'node6', event: 'node.down' }
    await notifier.onEvents([down('node6', clock.now())])
    await notifier.onRun({
      incidentId: 'inc-6',
      runId: 'r6',
      policy: 'node-down',
      moment: 'started',
      labels,
    })
    await notifier.onRun({
      incidentId: 'inc-6',
      runId: 'r6',
      policy: 'node-down',
      moment: 'failed',
      labels,
    })
    await notifier.deliverDue()
    clock.advance(4 * 3_600_000 + 1)
    await notifier.deliverDue()
    expect(data(ops).map((d) => d.title)).toEqual([
      'node node6 is down: tandem is handling it (policy node-down)',
      'node node6 is down: policy node-down FAILED, a human is needed',
      'node node6 is down: policy node-down FAILED, a human is needed (still unresolved)',
    ])
    await notifier.onEvents([up('node6', clock.now())])
    await notifier.deliverDue()
    expect(data(ops).at(-1)).toMatchObject({ status: 'resolved', outcome: 'failed' })
    clock.advance(8 * 3_600_000)
    await notifier.deliverDue()
    expect(ops.received).toHaveLength(4)
  })

  it('tells about a rejected config file once, not at every repeat', async () => {
    const { notifier, clock } = h
    await notifier.onEvents([
      {
        type: 'config.invalid',
        subject: 'policies/node-down.yaml',
        at: clock.now(),
        labels: { severity: 'warning' },
        payload: { detail: '3:5: on: unknown event' },
      },
    ])
    clock.advance(31_000)
    await notifier.deliverDue()
    clock.advance(5 * 3_600_000)
    await notifier.deliverDue()
    expect(data(ops).map((d) => d.title)).toEqual([
      'policies/node-down.yaml was rejected; the last good version keeps running',
    ])
  })
})

describe('silences', () => {
  it('hold matching alerts back and send them once the silence ends', async () => {
    const { notifier, clock, store } = h
    const silence = await addSilence(store.db, {
      matchers: ['node="node4"'],
      startsAt: clock.now(),
      endsAt: clock.now() + 3_600_000,
      createdBy: 'bo',
      comment: 'rebuilding node4',
    })
    await notifier.onEvents([down('node4', clock.now()), down('node5', clock.now())])
    clock.advance(31_000)
    await notifier.deliverDue()
    expect(data(ops).map((d) => (d.events as { subject: string }[]).map((e) => e.subject))).toEqual(
      [['node5']],
    )
    await expireSilence(store.db, silence.id, clock.now())
    clock.advance(300_000)
    await notifier.deliverDue()
    expect(
      data(ops).map((d) => (d.events as { subject: string }[]).map((e) => e.subject).sort()),
    ).toEqual([['node5'], ['node4', 'node5']])
  })
})

describe('receiver answers', () => {
  async function deliverOneTo(status: number, headers?: Record<string, string>) {
    ops.respond = () => ({ status, headers })
    const id = await h.notifier.sendTest('ops')
    await h.notifier.deliverDue()
    const [row] = await h.store.db.select().from(outbox).where(eq(outbox.id, id))
    return row!
  }

  it('410 Gone disables the receiver, dead-letters its notices and says so', async () => {
    const row = await deliverOneTo(410)
    expect(row).toMatchObject({ status: 'dead', attempts: 1 })
    const [state] = await h.store.db.select().from(receiverStates)
    expect(state).toMatchObject({ receiver: 'ops', disabled: true })
    expect(data(pager).map((d) => d.title)).toEqual(['notification channel ops was disabled'])
    const later = await h.notifier.sendTest('ops')
    const [again] = await h.store.db.select().from(outbox).where(eq(outbox.id, later))
    expect(again?.status).toBe('dead')
    expect((await h.notifier.stats()).disabledReceivers.map((r) => r.receiver)).toEqual(['ops'])
    expect(await h.notifier.enableReceiver('ops')).toBe(true)
  })

  it('a 4xx other than 408/429 is not retried', async () => {
    expect(await deliverOneTo(400)).toMatchObject({ status: 'dead', attempts: 1 })
    expect(ops.requests).toBe(1)
  })

  it('5xx is retried no sooner than Retry-After, then dead after max attempts', async () => {
    const row = await deliverOneTo(503, { 'retry-after': '120' })
    expect(row.status).toBe('pending')
    expect(row.nextAttemptAt - h.clock.now()).toBeGreaterThanOrEqual(120_000)
    h.clock.advance(119_000)
    await h.notifier.deliverDue()
    expect(ops.requests).toBe(1)
    for (let i = 0; i < 2; i++) {
      h.clock.advance(121_000)
      await h.notifier.deliverDue()
    }
    const [dead] = await h.store.db.select().from(outbox).where(eq(outbox.id, row.id))
    expect(dead).toMatchObject({ status: 'dead', attempts: 3 })
    expect(dead?.lastError).toMatch(
      /gave up after 3 attempts: \[webhook\] 127\.0\.0\.1:\d+ answered 503/,
    )
    expect(await h.notifier.retryDead(row.id)).toBe(1)
    ops.respond = undefined
    await h.notifier.deliverDue()
    expect(ops.received.map((r) => r.id)).toEqual([row.id])
  })

  it('a receiver that does not answer in time is retried with the same id', async () => {
    ops.respond = ({ attempt }) => (attempt === 1 ? 'hang' : undefined)
    const id = await h.notifier.sendTest('ops')
    await h.notifier.deliverDue()
    const [row] = await h.store.db.select().from(outbox).where(eq(outbox.id, id))
    expect(row).toMatchObject({ status: 'pending', attempts: 1 })
    expect(row?.lastError).toMatch(/no answer from 127\.0\.0\.1:\d+ in time/)
    h.clock.advance(10_000)
    await h.notifier.deliverDue()
    expect(ops.received.map((r) => r.id)).toEqual([id])
    expect(ops.duplicates).toEqual([id])
  })
})
