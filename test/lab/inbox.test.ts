// The demo inbox keeps what an on-call person would receive: mail over SMTP, verified webhooks once.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nodemailer from 'nodemailer'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Inbox, startInbox } from './inbox.ts'

const secret = 'whsec_ZGVtby13ZWJob29rLXNlY3JldA=='
let inbox: Inbox

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-inbox-'))
  inbox = await startInbox({
    file: join(dir, 'inbox.jsonl'),
    smtpPort: 25251,
    webhookPort: 28089,
    webhookSecret: secret,
  })
})
afterAll(() => inbox.close())

it('keeps a mail delivered over SMTP with its subject and recipients', async () => {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: inbox.smtpPort,
    secure: false,
    ignoreTLS: true,
  })
  await transport.sendMail({
    from: 'tandem@demo.example',
    to: 'oncall@demo.example',
    subject: 'node2 down',
    text: 'fenced',
  })
  const [mail] = await inbox.messages()
  expect(mail).toMatchObject({
    channel: 'email',
    subject: 'node2 down',
    to: ['oncall@demo.example'],
    body: 'fenced\n',
  })
})

it('shows a mail sent again with the same notice id once, and keeps the repeat as a delivery', async () => {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: inbox.smtpPort,
    secure: false,
    ignoreTLS: true,
  })
  const mail = {
    from: 'tandem@demo.example',
    to: 'oncall@demo.example',
    subject: 'node3 down',
    text: 'again',
    headers: { 'X-Tandem-Notice': 'ntc_repeat' },
  }
  await transport.sendMail(mail)
  await transport.sendMail(mail)
  const shown = (await inbox.messages()).filter((m) => m.subject === 'node3 down')
  const delivered = (await inbox.deliveries()).filter((m) => m.subject === 'node3 down')
  expect(shown).toHaveLength(1)
  expect(delivered.map((m) => m.duplicate ?? false)).toEqual([false, true])
})

it('keeps a signed webhook once per id and refuses a bad signature', async () => {
  const body = JSON.stringify({ title: 'node2 fenced' })
  const headers = (id: string, key = secret) => {
    const at = new Date()
    return {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(key).sign(id, at, body),
    }
  }
  const post = (h: Record<string, string>) =>
    fetch(inbox.webhookUrl, { method: 'POST', headers: h, body })
  expect((await post(headers('msg_1'))).status).toBe(204)
  expect((await post(headers('msg_1'))).status).toBe(200)
  expect((await post(headers('msg_2', 'whsec_b3RoZXItc2VjcmV0LXZhbHVlLTEyMw=='))).status).toBe(401)
  const hooks = (await inbox.messages()).filter((m) => m.channel === 'webhook')
  expect(hooks).toEqual([
    expect.objectContaining({ id: 'msg_1', subject: 'node2 fenced', verified: true }),
  ])
})
