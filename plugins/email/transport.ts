// Pooled SMTP transports, one per channel (re-created when the channel's settings change).
import { readFile } from 'node:fs/promises'
import nodemailer, { type Transporter } from 'nodemailer'
import type { NotifierContext } from '../../core/plugin/index.ts'
import type { EmailChannel } from './channel.ts'

const pools = new Map<string, { settings: string; transporter: Transporter }>()

/** The channel's pooled transport; credentials are resolved when it is built, never logged. */
export async function transportFor(
  channel: EmailChannel,
  ctx: NotifierContext,
): Promise<Transporter> {
  const settings = JSON.stringify({ smtp: channel.smtp, timeout: ctx.timeoutMs })
  const pooled = pools.get(ctx.channelName)
  if (pooled?.settings === settings) return pooled.transporter
  pooled?.transporter.close()
  const { smtp } = channel
  const transporter = nodemailer.createTransport({
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
  pools.set(ctx.channelName, { settings, transporter })
  return transporter
}

/** Drops a channel's pool (after an authentication failure: the secret may have been rotated). */
export function dropTransport(channelName: string): void {
  pools.get(channelName)?.transporter.close()
  pools.delete(channelName)
}

export async function closeTransports(): Promise<void> {
  for (const { transporter } of pools.values()) transporter.close()
  pools.clear()
}
