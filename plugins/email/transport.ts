// Pooled SMTP transports, one per channel (re-created when the channel's settings change).
import { readFile } from 'node:fs/promises'
import nodemailer, { type Transporter } from 'nodemailer'
import type { NotifierContext } from '../../core/plugin/index.ts'
import type { EmailChannel } from './channel.ts'

// Promises, stored before anything is awaited: concurrent sends share one pool, never race to build two.
const pools = new Map<string, { settings: string; transporter: Promise<Transporter> }>()

/** The channel's pooled transport; credentials are resolved when it is built, never logged. */
export function transportFor(channel: EmailChannel, ctx: NotifierContext): Promise<Transporter> {
  const settings = JSON.stringify({ smtp: channel.smtp, timeout: ctx.timeoutMs })
  const pooled = pools.get(ctx.channelName)
  if (pooled?.settings === settings) return pooled.transporter
  if (pooled)
    void pooled.transporter.then(
      (t) => t.close(),
      () => undefined,
    )
  const transporter = build(channel, ctx)
  pools.set(ctx.channelName, { settings, transporter })
  // A pool that could not be built (unreadable CA, missing secret) is not kept.
  transporter.catch(() => {
    if (pools.get(ctx.channelName)?.transporter === transporter) pools.delete(ctx.channelName)
  })
  return transporter
}

/** Drops a channel's pool (after an authentication failure: the secret may have been rotated). */
export function dropTransport(channelName: string): void {
  void pools.get(channelName)?.transporter.then(
    (t) => t.close(),
    () => undefined,
  )
  pools.delete(channelName)
}

/** At shutdown (deliveries already finished): every pooled connection goes, busy-looking or not. */
export async function closeTransports(): Promise<void> {
  const all = [...pools.values()]
  pools.clear()
  for (const pooled of all)
    (await pooled.transporter.catch(() => undefined))?.close({ force: true })
}

async function build(channel: EmailChannel, ctx: NotifierContext): Promise<Transporter> {
  const { smtp } = channel
  return nodemailer.createTransport({
    pool: true,
    maxConnections: smtp.max_connections,
    maxMessages: 100,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.security === 'tls',
    requireTLS: smtp.security === 'starttls',
    ignoreTLS: smtp.security === 'none',
    name: smtp.helo_name,
    auth: smtp.auth
      ? { user: smtp.auth.user, pass: await ctx.secrets.resolve(smtp.auth.pass) }
      : undefined,
    tls: {
      rejectUnauthorized: smtp.verify,
      ca: smtp.ca ? await readFile(smtp.ca, 'utf8') : undefined,
      minVersion: 'TLSv1.2',
    },
    connectionTimeout: ctx.timeoutMs,
    greetingTimeout: ctx.timeoutMs,
    socketTimeout: ctx.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  })
}
