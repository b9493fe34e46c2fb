// The demo's receivers: an SMTP catcher and a signed-webhook receiver that keep what they got.
import { appendFile, readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { Webhook } from 'standardwebhooks'

/** One message as the demo dashboard shows it. */
export interface InboxMessage {
  channel: 'email' | 'webhook'
  at: number
  /** email: Subject; webhook: the payload's subject (the same line), else its title. */
  subject: string
  from?: string
  to?: string[]
  /** webhook: the `webhook-id`; email: the `X-Tandem-Notice` header (the notice id). */
  id?: string
  /** A webhook-id or notice id this receiver had already kept (redelivered); not shown as a message. */
  duplicate?: boolean
  verified?: boolean
  /** email: the threading headers a mail client groups a conversation by. */
  thread?: { messageId: string; inReplyTo: string; references: string[] }
  body: string
}

export interface Inbox {
  smtpPort: number
  webhookUrl: string
  messages(): Promise<InboxMessage[]>
  /** Every delivery, redelivered webhook ids included (each notice should arrive once). */
  deliveries(): Promise<InboxMessage[]>
  close(): Promise<void>
}

/**
 * Starts both receivers on loopback; every message is appended to `file` (JSON lines), so the
 * dashboard and tests read what an on-call person would have received.
 *
 * @example
 * const inbox = await startInbox({ file: 'data/lab-inbox.jsonl', smtpPort: 2525, webhookPort: 8089, webhookSecret })
 */
export async function startInbox(options: {
  file: string
  smtpPort: number
  webhookPort: number
  webhookSecret: string
  webhookPath?: string
}): Promise<Inbox> {
  const keep = (message: InboxMessage) => appendFile(options.file, `${JSON.stringify(message)}\n`)
  const smtp = await startSmtp(options.smtpPort, keep)
  const path = options.webhookPath ?? '/hooks/tandem'
  const http = await startWebhook(
    options.webhookPort,
    path,
    new Webhook(options.webhookSecret),
    keep,
  )
  return {
    smtpPort: options.smtpPort,
    webhookUrl: `http://127.0.0.1:${options.webhookPort}${path}`,
    async messages() {
      return (await readInbox(options.file)).filter((m) => !m.duplicate)
    },
    deliveries: () => readInbox(options.file),
    async close() {
      await Promise.all([
        new Promise<void>((resolve) => smtp.close(() => resolve())),
        new Promise<void>((resolve) => http.close(() => resolve())),
      ])
    },
  }
}

async function readInbox(file: string): Promise<InboxMessage[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as InboxMessage)
}

async function startSmtp(
  port: number,
  keep: (m: InboxMessage) => Promise<void>,
): Promise<SMTPServer> {
  const seen = new Set<string>()
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const id = String(mail.headers.get('x-tandem-notice') ?? '') || undefined
          // A client that timed out waiting for the reply to its final "." sends the message
          // again (RFC 1047). Like a mail store filtering repeats (Sieve "duplicate", RFC 7352),
          // the inbox keeps the repeat as a delivery but not as a message a person reads.
          const duplicate = id !== undefined && seen.has(id)
          if (id) seen.add(id)
          return keep({
            channel: 'email',
            at: Date.now(),
            subject: mail.subject ?? '',
            id,
            from: mail.from?.text,
            to: [mail.to ?? []].flat().flatMap((a) => a.value.map((v) => v.address ?? '')),
            thread: {
              messageId: mail.messageId ?? '',
              inReplyTo: mail.inReplyTo ?? '',
              references: [mail.references ?? []].flat(),
            },
            body: mail.text ?? '',
            ...(duplicate ? { duplicate } : {}),
          })
        })
        .then(() => callback(), callback)
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.on('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return server
}

async function startWebhook(
  port: number,
  path: string,
  verifier: Webhook,
  keep: (m: InboxMessage) => Promise<void>,
): Promise<Server> {
  const seen = new Set<string>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      if (req.url !== path || req.method !== 'POST') return void res.writeHead(404).end()
      const body = Buffer.concat(chunks).toString('utf8')
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, String(v)]),
      )
      let verified = true
      try {
        verifier.verify(body, headers)
      } catch {
        verified = false
      }
      const id = headers['webhook-id'] ?? ''
      // A receiver that de-duplicates by webhook-id, as the spec asks of receivers.
      if (!verified) return void res.writeHead(401).end()
      if (seen.has(id)) {
        const again = { channel: 'webhook', at: Date.now(), subject: '', id, duplicate: true }
        return void keep({ ...again, body: '' } as InboxMessage).then(() =>
          res.writeHead(200).end(),
        )
      }
      seen.add(id)
      // tandem's payload (v1) keeps the subject and title under `data`; other formats at the top.
      const parsed = JSON.parse(body) as {
        title?: string
        data?: { title?: string; subject?: string }
      }
      const title = parsed.data?.subject ?? parsed.data?.title ?? parsed.title ?? ''
      keep({ channel: 'webhook', at: Date.now(), subject: title, id, verified, body }).then(
        () => res.writeHead(204).end(),
        () => res.writeHead(500).end(),
      )
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return server
}
