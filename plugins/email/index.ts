// The email notifier: notices as text + HTML mail through a pooled SMTP connection (STARTTLS/TLS, auth).
import {
  type DeliveryResult,
  defineNotifier,
  definePlugin,
  type Notice,
  type NotifierContext,
  z,
} from '../../core/plugin/index.ts'
import { EmailChannel } from './channel.ts'
import { mailFor } from './message.ts'
import { acquireSlot } from './slots.ts'
import { closeTransports, dropTransport, transportFor } from './transport.ts'

export default definePlugin({
  name: 'email',
  description: 'Email notices over SMTP (STARTTLS or TLS, authentication, pooled connections)',
  config: z.strictObject({}),
  notifiers: {
    email: defineNotifier({
      description: 'Mail each notice to the recipients the channel lists',
      channel: EmailChannel,
      send: sendEmail,
      close: closeTransports,
    }),
  },
})

async function sendEmail(
  notice: Notice,
  channel: EmailChannel,
  ctx: NotifierContext,
): Promise<DeliveryResult> {
  const release = await acquireSlot(ctx.channelName, channel.smtp.max_connections, ctx.signal)
  if (!release)
    return {
      ok: false,
      retry: true,
      detail: `[email] not sent: every connection to ${channel.smtp.host} stayed busy past the timeout`,
    }
  try {
    const transporter = await transportFor(channel, ctx)
    const info = await transporter.sendMail(mailFor(notice, ctx.rendered, channel))
    const rejected = (info.rejected ?? []).map(String)
    if (rejected.length > 0)
      ctx.log.warn('[email] some recipients were refused', { channel: ctx.channelName, rejected })
    const server = String(info.response ?? '').slice(0, 120)
    return { ok: true, retry: false, detail: `[email] accepted by ${channel.smtp.host}: ${server}` }
  } catch (error) {
    return classify(error as SmtpError, ctx.channelName)
  } finally {
    release()
  }
}

interface SmtpError extends Error {
  code?: string
  responseCode?: number
  response?: string
}

/** SMTP 4xx and network trouble are retried; 5xx (the server refused for good) is not. */
export function classify(error: SmtpError, channelName: string): DeliveryResult {
  if (error.code === 'EAUTH') dropTransport(channelName)
  const said = (error.response ?? error.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 200)
  const code = error.responseCode
  if (code !== undefined && code >= 500 && code < 600)
    return { ok: false, retry: false, detail: `[email] server refused (${code}): ${said}` }
  return {
    ok: false,
    retry: true,
    detail: `[email] ${code ? `server answered ${code}: ` : ''}${error.code ?? ''} ${said}`.trim(),
  }
}
