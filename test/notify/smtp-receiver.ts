// A real SMTP server for tests (smtp-server): STARTTLS with a certificate made by the openssl CLI,
// AUTH required (only after TLS), every message parsed with mailparser.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  mail: ParsedMail
  raw: string
  envelope: { from: string; to: string[] }
  secure: boolean
  user: string | undefined
}

export interface SmtpReceiver {
  port: number
  /** PEM of the self-signed certificate (trust it through the channel's `ca`). */
  caFile: string
  mails: ReceivedMail[]
  connections: number
  /** Answer the DATA of the n-th message (1-based) with this error instead of accepting it. */
  refuse?: (n: number) => { code: number; message: string } | undefined
  /** Keep the n-th message at once but answer its DATA only this many ms later (a slow server). */
  answerAfterMs?: (n: number) => number
  close(): Promise<void>
}

/** Makes a self-signed certificate for 127.0.0.1 with the openssl command line tool. */
export async function selfSignedCert(): Promise<{ keyFile: string; certFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-smtp-'))
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ])
  return { keyFile, certFile }
}

export async function startSmtpReceiver(auth: {
  user: string
  pass: string
}): Promise<SmtpReceiver> {
  const { keyFile, certFile } = await selfSignedCert()
  let dataCount = 0
  const receiver: SmtpReceiver = {
    port: 0,
    caFile: certFile,
    mails: [],
    connections: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  const server = new SMTPServer({
    key: await readFile(keyFile),
    cert: await readFile(certFile),
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onConnect(_session, callback) {
      receiver.connections++
      callback()
    },
    onAuth(credentials, _session, callback) {
      if (credentials.username === auth.user && credentials.password === auth.pass)
        return callback(null, { user: credentials.username })
      callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }))
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', async () => {
        const n = ++dataCount
        const refusal = receiver.refuse?.(n)
        if (refusal)
          return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }))
        const raw = Buffer.concat(chunks).toString('utf8')
        receiver.mails.push({
          mail: await simpleParser(raw),
          raw,
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          secure: session.secure,
          user: session.user as string | undefined,
        })
        const slow = receiver.answerAfterMs?.(n) ?? 0
        if (slow > 0) setTimeout(callback, slow)
        else callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  receiver.port = (server.server.address() as { port: number }).port
  return receiver
}
