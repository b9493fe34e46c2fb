// The email notifier against a real SMTP server (STARTTLS, AUTH) through the real outbox:
// headers, recipients, bodies, retry on 4xx, no retry on 5xx, and no way to inject a header or a recipient.
import { eq } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { outbox } from '../../core/store/index.ts'
import { type NotifyHarness, notifyHarness } from '../../test/notify/harness.ts'
import { type SmtpReceiver, startSmtpReceiver } from '../../test/notify/smtp-receiver.ts'

const auth = { user: 'tandem', pass: 'correct horse battery staple' }
let smtp: SmtpReceiver
let h: NotifyHarness

beforeAll(async () => {
  smtp = await startSmtpReceiver(auth)
})
afterAll(() => smtp.close())
afterEach(async () => {
  await h?.close()
  smtp.mails.length = 0
  smtp.refuse = undefined
  smtp.connections = 0
})

async function harness() {
  h = await notifyHarness({
    env: { SMTP_PASS: auth.pass },
    yaml: `
daemon: { public_url: "https://tandem.example/" }
channels:
  - name: oncall
    type: email
    retry: { max_attempts: 5, initial: 1s, max: 10s }
    with:
      from: tandem@ops.example
      from_name: tandem demo
      to: [oncall@ops.example, lead@ops.example]
      cc: [audit@ops.example]
      bcc: [archive@ops.example]
      smtp:
        host: 127.0.0.1
        port: ${smtp.port}
        security: starttls
        ca: ${smtp.caFile}
        auth: { user: ${auth.user}, pass: env:SMTP_PASS }
routes:
  receiver: oncall
  group_by: ['...']
  group_wait: 0s
`,
  })
  return h
}

const HEADERS = new Set([
  'from',
  'to',
  'cc',
  'subject',
  'message-id',
  'in-reply-to',
  'references',
  'date',
  'mime-version',
  'content-type',
  'x-tandem-notice',
  'x-tandem-status',
  'x-tandem-severity',
  'x-tandem-outcome',
])
const configured = [
  'oncall@ops.example',
  'lead@ops.example',
  'audit@ops.example',
  'archive@ops.example',
]

describe('email', () => {
  it('mails what happened, what tandem did and refused, over STARTTLS with AUTH', async () => {
    const { notifier } = await harness()
    const labels = { severity: 'critical', node: 'node2', event: 'node.down' }
    await notifier.onRun({
      incidentId: 'inc-7',
      runId: 'r7',
      policy: 'node-down',
      moment: 'started',
      labels,
      title: 'node node2 is down',
    })
    await notifier.onRun({
      incidentId: 'inc-7',
      runId: 'r7',
      policy: 'node-down',
      moment: 'failed',
      labels,
      title: 'node node2 is down',
      steps: [
        {
          step: 'fence node2',
          uses: 'fence.fence',
          status: 'succeeded',
          detail: 'node2 confirmed off',
        },
        {
          step: 'relocate db',
          uses: 'rgmanager.relocate',
          status: 'failed',
          detail: 'clusvcadm: Service db is frozen',
        },
      ],
      refused: [
        { what: 'xen.evacuate node2', guard: 'max_fences', reason: '2 fences in 10 minutes' },
      ],
    })
    await notifier.deliverDue()
    expect(smtp.mails).toHaveLength(2)
    const { mail, envelope, secure, user } = smtp.mails[1]!
    expect(secure).toBe(true)
    expect(user).toBe('tandem')
    expect(envelope).toEqual({ from: 'tandem@ops.example', to: configured })
    expect(mail.from?.value).toEqual([{ name: 'tandem demo', address: 'tandem@ops.example' }])
    expect(
      (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((t) => t?.value.map((v) => v.address)),
    ).toEqual(['oncall@ops.example', 'lead@ops.example'])
    expect(mail.headers.has('bcc')).toBe(false)
    expect(mail.subject).toBe(
      '[tandem] FAILED: node node2 is down: policy node-down FAILED, a human is needed',
    )
    expect(mail.messageId).toMatch(/^<ntc_[0-9A-Z]{26}@ops\.example>$/)
    // The story's first mail is the thread's root; the outcome replies to it.
    expect(mail.inReplyTo).toBe(smtp.mails[0]!.mail.messageId)
    expect(mail.references).toBe(smtp.mails[0]!.mail.messageId)
    expect(mail.text).toContain(
      'What tandem did\n  1. fence node2 (fence.fence): succeeded - node2 confirmed off\n  2. relocate db',
    )
    expect(mail.text).toContain(
      'What tandem refused to do, and why\n  - xen.evacuate node2: max_fences - 2 fences in 10 minutes',
    )
    expect(mail.text).toContain('incident: https://tandem.example/incidents/inc-7')
    expect(mail.html).toContain('<a href="https://tandem.example/incidents/inc-7">incident</a>')
    expect(smtp.connections).toBeLessThanOrEqual(2)
  })

  it('shares one pool between concurrent sends (regression: two pools raced and one leaked)', async () => {
    const { notifier } = await harness()
    for (let i = 0; i < 8; i++) await notifier.sendTest('oncall')
    await notifier.deliverDue()
    expect(smtp.mails).toHaveLength(8)
    expect(smtp.connections).toBeLessThanOrEqual(2)
  })

  it('retries a 4xx answer and delivers the mail once', async () => {
    const { notifier, store, clock } = await harness()
    // The receiver counts messages across this file's tests: refuse this test's first one.
    let answered = 0
    smtp.refuse = () =>
      ++answered === 1 ? { code: 451, message: 'Temporary local problem, try later' } : undefined
    const id = await notifier.sendTest('oncall')
    await notifier.deliverDue()
    const [first] = await store.db.select().from(outbox).where(eq(outbox.id, id))
    expect(first).toMatchObject({ status: 'pending', attempts: 1 })
    expect(first?.lastError).toMatch(/451/)
    clock.advance(10_000)
    await notifier.deliverDue()
    clock.advance(60_000)
    await notifier.deliverDue()
    expect(smtp.mails.map((m) => m.mail.messageId)).toEqual([`<${id}@ops.example>`])
    const [done] = await store.db.select().from(outbox).where(eq(outbox.id, id))
    expect(done).toMatchObject({ status: 'delivered', attempts: 2 })
  })

  it('does not retry a 5xx answer', async () => {
    const { notifier, store } = await harness()
    smtp.refuse = () => ({ code: 554, message: 'Transaction failed: policy violation' })
    const id = await notifier.sendTest('oncall')
    await notifier.deliverDue()
    const [row] = await store.db.select().from(outbox).where(eq(outbox.id, id))
    expect(row).toMatchObject({ status: 'dead', attempts: 1 })
    expect(row?.lastError).toMatch(/server refused \(554\)/)
  })

  it('cannot be made to add a header or a recipient by anything in a notice', async () => {
    const { notifier, clock } = await harness()
    const evil =
      'node2\r\nBcc: evil@attacker.example\r\nX-Evil: 1\nTo: evil2@attacker.example, "x" <evil3@attacker.example>'
    await notifier.onEvents([
      {
        type: 'node.down',
        subject: evil,
        at: clock.now(),
        labels: { severity: 'critical', node: evil },
        payload: { detail: evil },
      },
      {
        type: 'alert.received',
        subject: 'fp1',
        at: clock.now(),
        labels: { severity: 'warning', alertname: evil },
        payload: { alertname: `x\r\n\r\nbody <evil4@attacker.example>;evil5@attacker.example` },
      },
    ])
    await notifier.deliverDue()
    await notifier.onRun({
      incidentId: `inc\r\nCc: evil6@attacker.example`,
      runId: 'r',
      policy: `p\nBcc: evil7@attacker.example`,
      moment: 'failed',
      labels: { node: evil, severity: 'critical' },
      title: evil,
      steps: [{ step: evil, uses: evil, status: evil, detail: evil }],
      refused: [{ what: evil, guard: evil, reason: evil }],
    })
    await notifier.deliverDue()
    expect(smtp.mails.length).toBeGreaterThanOrEqual(3)
    for (const { mail, envelope, raw } of smtp.mails) {
      expect(envelope.to).toEqual(configured)
      const addresses = ['to', 'cc', 'bcc', 'from', 'reply-to', 'sender'].flatMap((name) => {
        const value = mail.headers.get(name) as { value: { address?: string }[] } | undefined
        return value?.value.map((v) => v.address) ?? []
      })
      expect(addresses.sort()).toEqual([
        'audit@ops.example',
        'lead@ops.example',
        'oncall@ops.example',
        'tandem@ops.example',
      ])
      // Unfolded, every header is one tandem sets itself; the notice's text stays inside Subject.
      const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ')
      const names = head.split('\r\n').map((line) => line.slice(0, line.indexOf(':')).toLowerCase())
      expect(names.filter((n) => !HEADERS.has(n))).toEqual([])
      expect(head).toMatch(/^To: oncall@ops\.example, lead@ops\.example$/m)
      expect(head).toMatch(/^Cc: audit@ops\.example$/m)
      expect(mail.subject).not.toMatch(/[\r\n]/)
    }
  })
})
