// A notifier killed between the receiver's answer and the outcome's commit (`notice.sent`): the
// notice is sent once more after a restart, no sooner than its claim lapses, and the repeat is
// recognisable: the same Message-ID (real SMTP server) or webhook-id (real webhook receiver).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { outbox } from '../../core/store/index.ts'
import { type NotifyHarness, notifyHarness } from './harness.ts'
import { type SmtpReceiver, startSmtpReceiver } from './smtp-receiver.ts'
import { newWebhookSecret, startWebhookReceiver } from './webhook-receiver.ts'

const auth = { user: 'tandem', pass: 'resend-Qx7!smtp' }
const children: ChildProcess[] = []
let smtp: SmtpReceiver
beforeAll(async () => {
  smtp = await startSmtpReceiver(auth)
})
afterAll(() => smtp.close())
afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
})

/** A delivering process over the shared store; `crashAt` arms a crash point in it. */
async function startChild(env: Record<string, string>, crashAt?: string): Promise<ChildProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  if (crashAt) childEnv.TANDEM_CRASH_AT = crashAt
  else delete childEnv.TANDEM_CRASH_AT
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./deliver-child.ts', import.meta.url).pathname],
    { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  children.push(child)
  const exited = once(child, 'exit')
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve())
    void exited.then(() => reject(new Error('child exited before it was ready')))
  })
  return child
}

/** One event's notices queued by `parent`, sent by a child that dies at `notice.sent`, then by another. */
async function crashAfterAnswer(yaml: string, env: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-resend-'))
  const childEnv = {
    ...env,
    TANDEM_TEST_YAML: yaml,
    TANDEM_TEST_STORE: `file:${join(dir, 'tandem.db')}`,
  }
  const parent: NotifyHarness = await notifyHarness({
    yaml,
    env: { HOOK: env.TANDEM_TEST_SECRET ?? '', SMTP_PASS: env.SMTP_PASS ?? '' },
    storeUrl: childEnv.TANDEM_TEST_STORE,
  })
  await parent.notifier.onEvents([
    {
      type: 'node.down',
      subject: 'node2',
      at: Date.now(),
      labels: { severity: 'critical', node: 'node2' },
      payload: {},
    },
  ])
  const first = await startChild(childEnv, 'notice.sent')
  await once(first, 'exit')
  expect(first.signalCode).toBe('SIGKILL')
  const diedAt = Date.now()
  const atCrash = await parent.store.db.select().from(outbox)
  await startChild(childEnv)
  const deadline = Date.now() + 30_000
  let rows = atCrash
  while (Date.now() < deadline && !rows.every((r) => r.status === 'delivered')) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    rows = await parent.store.db.select().from(outbox)
  }
  await parent.close()
  return { atCrash, rows, diedAt }
}

it('a notice answered but not recorded is sent again with the same Message-ID and webhook-id', async () => {
  const secret = newWebhookSecret()
  const rx = await startWebhookReceiver({ secret })
  // Two channels in one run (one child start less): whichever answers first kills the sender;
  // the other may have been answered, be in flight or not be sent yet. Either way, each copy
  // of a notice carries that notice's one id.
  const yaml = `
channels:
  - name: oncall
    type: email
    timeout: 2s
    with:
      from: tandem@ops.example
      to: [oncall@ops.example]
      smtp:
        host: 127.0.0.1
        port: ${smtp.port}
        security: starttls
        ca: ${smtp.caFile}
        auth: { user: ${auth.user}, pass: env:SMTP_PASS }
  - name: ops
    type: webhook
    timeout: 2s
    with: { url: "${rx.url}", secrets: [env:HOOK], allow: [127.0.0.1/32] }
routes:
  receiver: oncall
  group_by: ['...']
  group_wait: 0s
  routes:
    - receiver: ops
      continue: true
    - receiver: oncall
`
  try {
    const { atCrash, rows, diedAt } = await crashAfterAnswer(yaml, {
      SMTP_PASS: auth.pass,
      TANDEM_TEST_SECRET: secret,
    })
    const mailRow = rows.find((r) => r.receiver === 'oncall')!
    const hookRow = rows.find((r) => r.receiver === 'ops')!
    expect(rows.map((r) => r.status)).toEqual(['delivered', 'delivered'])
    // The crash left the claims on record, each lease at least the channel's timeout long.
    for (const claim of atCrash) {
      expect(claim.status).toBe('delivering')
      expect(claim.nextAttemptAt - claim.createdAt).toBeGreaterThanOrEqual(2_000)
    }

    const mails = smtp.mails.map((m) => m.mail)
    expect(mails.length).toBeGreaterThanOrEqual(1)
    expect(mails.length).toBeLessThanOrEqual(2)
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(1)
    expect(mails.every((m) => m.headers.get('x-tandem-notice') === mailRow.id)).toBe(true)
    // Two requests at most, one delivery: the receiver recognises a repeat by its webhook-id.
    expect(rx.received.map((r) => r.id)).toEqual([hookRow.id])
    expect(rx.requests).toBeLessThanOrEqual(2)
    expect(rx.duplicates).toEqual(rx.requests === 2 ? [hookRow.id] : [])
    expect(rx.rejected).toEqual([])
    // The one the crash cut off after its answer went out twice, the second time only after
    // the dead sender's claim had lapsed.
    expect(mails.length + rx.requests).toBeGreaterThanOrEqual(3)
    for (const row of rows.filter((r) => r.attempts === 2)) {
      const claim = atCrash.find((c) => c.id === row.id)!
      expect(row.deliveredAt!).toBeGreaterThanOrEqual(claim.nextAttemptAt)
      expect(row.deliveredAt!).toBeGreaterThan(diedAt)
    }
  } finally {
    await rx.close()
  }
}, 60_000)
