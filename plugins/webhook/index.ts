// The webhook notifier: Standard Webhooks signed POSTs to allow-listed hosts, with tandem, Alertmanager or Slack bodies.
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import {
  type DeliveryResult,
  defineNotifier,
  definePlugin,
  type Notice,
  type NotifierContext,
  z,
} from '../../core/plugin/index.ts'
import { parseAllowList } from './allow.ts'
import { WebhookChannel } from './channel.ts'
import { bodyFor } from './payload.ts'
import { type PostResult, post } from './post.ts'
import { signatureHeader } from './sign.ts'

const USER_AGENT = 'tandem-webhook/1'
const agents = new Map<string, HttpAgent>()

export default definePlugin({
  name: 'webhook',
  description: 'Signed webhooks (Standard Webhooks) with tandem, Alertmanager or Slack bodies',
  config: z.strictObject({}),
  notifiers: {
    webhook: defineNotifier({
      description: 'POST each notice to a URL, signed, to allow-listed hosts only',
      channel: WebhookChannel,
      send: sendWebhook,
      async close() {
        for (const agent of agents.values()) agent.destroy()
        agents.clear()
      },
    }),
  },
})

async function sendWebhook(
  notice: Notice,
  channel: WebhookChannel,
  ctx: NotifierContext,
): Promise<DeliveryResult> {
  let url: URL
  let secrets: string[]
  try {
    url = new URL(
      channel.url.startsWith('http') ? channel.url : await ctx.secrets.resolve(channel.url),
    )
    secrets = await Promise.all(channel.secrets.map((ref) => ctx.secrets.resolve(ref)))
  } catch (error) {
    return { ok: false, retry: true, detail: `[webhook] ${(error as Error).message}` }
  }
  const body = bodyFor(channel.format, notice, ctx.rendered)
  // A fresh timestamp per attempt (receivers reject stale ones); the id never changes.
  const timestamp = Math.floor(Date.now() / 1000)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': notice.id,
    'webhook-timestamp': String(timestamp),
  }
  try {
    if (secrets.length > 0)
      headers['webhook-signature'] = signatureHeader(notice.id, timestamp, body, secrets)
  } catch (error) {
    return { ok: false, retry: true, detail: `[webhook] ${(error as Error).message}` }
  }
  const result = await post(url, body, headers, {
    allow: parseAllowList(channel.allow),
    signal: ctx.signal,
    maxRedirects: channel.max_redirects,
    agent: (protocol) => agentFor(ctx.channelName, protocol),
  })
  return classify(result)
}

/** What an answer means for the outbox: done, retry (when), give up, or disable the receiver. */
export function classify(result: PostResult, now = Date.now()): DeliveryResult {
  if (result.kind === 'refused')
    return { ok: false, retry: false, detail: `[webhook] ${result.detail}` }
  if (result.kind === 'error')
    return { ok: false, retry: true, detail: `[webhook] ${result.detail}` }
  const { status, host } = result
  const said = result.body ? `: ${oneLine(result.body)}` : ''
  if (status >= 200 && status < 300)
    return { ok: true, retry: false, detail: `[webhook] ${host} answered ${status}` }
  if (status === 410)
    return {
      ok: false,
      retry: false,
      disable: true,
      detail: `[webhook] ${host} answered 410 Gone: the receiver is gone`,
    }
  const retryAfterMs = retryAfter(result.headers['retry-after'], now)
  if (status === 408 || status === 429 || status >= 500)
    return {
      ok: false,
      retry: true,
      retryAfterMs,
      detail: `[webhook] ${host} answered ${status}${said}`,
    }
  return {
    ok: false,
    retry: false,
    detail: `[webhook] ${host} answered ${status}${said} (not retried)`,
  }
}

function agentFor(channel: string, protocol: 'http:' | 'https:'): HttpAgent {
  const key = `${channel} ${protocol}`
  let agent = agents.get(key)
  if (!agent) {
    const options = { keepAlive: true, maxSockets: 16, maxFreeSockets: 4 }
    agent = protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options)
    agents.set(key, agent)
  }
  return agent
}

function retryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (!text) return undefined
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat
}
