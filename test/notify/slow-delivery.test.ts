// Slow deliveries under load: a notice that is still being sent, or queued behind a busy SMTP
// connection, is neither timed out into a retry nor claimed by a second instance. The real SMTP
// server is the oracle: each notice id arrives once.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { outbox } from '../../core/store/index.ts'
import { type NotifyHarness, notifyHarness } from './harness.ts'
import { type SmtpReceiver, startSmtpReceiver } from './smtp-receiver.ts'

const auth = { user: 'tandem', pass: 'correct horse battery staple' }
let smtp: SmtpReceiver
beforeAll(async () => {
  smtp = await startSmtpReceiver(auth)
})
afterAll(() => smtp.close())

it('sends each notice once when the server answers slowly and two instances share the outbox', async () => {
  // Each message is kept at once and answered 700 ms later: one connection, five notices, so the
  // last ones wait past the 2 s timeout and past the lease (2 s + 200 ms) of their claim.
  smtp.answerAfterMs = () => 700
  const storeUrl = `file:${join(await mkdtemp(join(tmpdir(), 'tandem-slow-')), 'tandem.db')}`
  const yaml = `
channels:
  - name: oncall
    type: email
    timeout: 2s
    retry: { max_attempts: 10, initial: 1s, max: 2s }
    with:
      from: tandem@ops.example
      to: [oncall@ops.example]
      smtp:
        host: 127.0.0.1
        port: ${smtp.port}
        security: starttls
        ca: ${smtp.caFile}
        auth: { user: ${auth.user}, pass: env:SMTP_PASS }
        max_connections: 1
routes: { receiver: oncall, group_by: ['...'], group_wait: 0s }
`
  const realClock = { now: () => Date.now(), advance() {} }
  const instances: NotifyHarness[] = []
  for (let i = 0; i < 2; i++)
    instances.push(
      await notifyHarness({
        yaml,
        env: { SMTP_PASS: auth.pass },
        storeUrl,
        clock: realClock,
        leaseMarginMs: 200,
      }),
    )
  const [a, b] = instances as [NotifyHarness, NotifyHarness]
  try {
    const at = Date.now()
    await a.notifier.onEvents(
      Array.from({ length: 5 }, (_, i) => ({
        type: 'check.failed' as const,
        subject: `web/node${i}/http`,
        at,
        labels: { severity: 'warning', node: `node${i}`, check: 'http' },
        payload: {},
      })),
    )
    a.notifier.start()
    b.notifier.start()
    const deadline = Date.now() + 20_000
    let rows = await a.store.db.select().from(outbox)
    while (rows.length < 5 || rows.some((r) => r.status !== 'delivered')) {
      expect(Date.now(), JSON.stringify(rows.map((r) => [r.status, r.lastError]))).toBeLessThan(
        deadline,
      )
      await new Promise((resolve) => setTimeout(resolve, 100))
      rows = await a.store.db.select().from(outbox)
    }
    const ids = smtp.mails.map((m) => String(m.mail.headers.get('x-tandem-notice')))
    expect(ids.sort(), a.logs.concat(b.logs).join('')).toEqual(rows.map((r) => r.id).sort())
  } finally {
    await a.close()
    await b.close()
  }
}, 30_000)
