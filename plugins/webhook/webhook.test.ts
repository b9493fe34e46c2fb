// The webhook notifier against a real receiver that verifies with the independent `standardwebhooks`
// package: signatures, rotation, replay/stale/tamper rejection, allow-list, pinning, redirects, formats.
import { readFile } from 'node:fs/promises'
import { Agent } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInventory, createSecretResolver, parseConfig } from '../../core/inventory/index.ts'
import { renderNotice } from '../../core/notify/index.ts'
import type { Notice, NotifierContext } from '../../core/plugin/index.ts'
import {
  newWebhookSecret,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../test/notify/webhook-receiver.ts'
import { parseAllowList } from './allow.ts'
import { WebhookChannel } from './channel.ts'
import webhook from './index.ts'
import { payloadJsonSchema, WebhookPayloadV1 } from './payload.ts'
import { post } from './post.ts'
import { signatureHeader } from './sign.ts'

const notifier = webhook.notifiers!.webhook!
const oldSecret = newWebhookSecret()
const newSecret = newWebhookSecret()
let rx: WebhookReceiver

beforeAll(async () => {
  rx = await startWebhookReceiver({ secret: newSecret })
})
afterAll(async () => {
  await rx.close()
  await notifier.close?.()
})

function notice(overrides: Partial<Notice> = {}): Notice {
  return {
    id: `ntc_${Math.random().toString(36).slice(2)}`,
    receiver: 'ops',
    groupKey: '0/ops/{"severity":"critical"}',
    status: 'firing',
    severity: 'critical',
    title: 'node node2 is down',
    summary: '1 firing (1 node.down)',
    labels: { severity: 'critical', node: 'node2', event: 'node.down' },
    groupLabels: { severity: 'critical' },
    events: [
      {
        type: 'node.down',
        subject: 'node2',
        at: Date.now() - 60_000,
        detail: 'node node2 is down',
        status: 'firing',
        labels: { node: 'node2' },
      },
    ],
    actions: [],
    refused: [],
    links: [{ label: 'dashboard', url: 'https://tandem.example/' }],
    createdAt: Date.now(),
    ...overrides,
  }
}

function ctx(timeoutMs = 2_000): NotifierContext {
  const config = parseConfig('t.yaml', '{}')
  return {
    config: {},
    inventory: createInventory(config),
    runner: { run: () => Promise.reject(new Error('no commands')) },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    signal: AbortSignal.timeout(timeoutMs),
    timeoutMs,
    secrets: createSecretResolver({ OLD: oldSecret, NEW: newSecret }),
    dryRun: false,
    rendered: renderNotice(notice()),
    channelName: 'ops',
  }
}

function channel(settings: Record<string, unknown>) {
  return WebhookChannel.parse({
    url: rx.url,
    secrets: ['env:NEW'],
    allow: ['127.0.0.1/32'],
    ...settings,
  })
}

describe('signing', () => {
  it('delivers a body the receiver verifies, with the notice id as webhook-id', async () => {
    const n = notice()
    const result = await notifier.send(n, channel({}), ctx())
    expect(result).toMatchObject({ ok: true })
    const got = rx.received.at(-1)!
    expect(got.id).toBe(n.id)
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
    expect(WebhookPayloadV1.parse(got.payload).data).toMatchObject({
      id: n.id,
      title: 'node node2 is down',
    })
  })

  it('signs with every secret during a rotation, so either side verifies', async () => {
    const n = notice()
    await notifier.send(n, channel({ secrets: ['env:OLD', 'env:NEW'] }), ctx())
    const got = rx.received.at(-1)!
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2)
    const onOld = await startWebhookReceiver({ secret: oldSecret })
    try {
      await notifier.send(
        notice(),
        channel({ url: onOld.url, secrets: ['env:OLD', 'env:NEW'] }),
        ctx(),
      )
      expect(onOld.received).toHaveLength(1)
      expect(onOld.rejected).toEqual([])
    } finally {
      await onOld.close()
    }
  })

  it('is rejected by the receiver when replayed, stale or tampered', async () => {
    const n = notice()
    await notifier.send(n, channel({}), ctx())
    const { headers, body } = rx.received.at(-1)!
    const replay = (h: Record<string, string>, b: string) =>
      fetch(rx.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...h },
        body: b,
      })
    const signed = {
      'webhook-id': String(headers['webhook-id']),
      'webhook-timestamp': String(headers['webhook-timestamp']),
      'webhook-signature': String(headers['webhook-signature']),
    }
    const before = rx.received.length
    expect((await replay(signed, body)).status).toBe(200)
    expect(rx.received.length).toBe(before)
    expect(rx.duplicates).toContain(n.id)

    const stale = Math.floor(Date.now() / 1000) - 6 * 60
    const staleHeaders = {
      ...signed,
      'webhook-timestamp': String(stale),
      'webhook-signature': signatureHeader(n.id, stale, body, [newSecret]),
    }
    expect((await replay(staleHeaders, body)).status).toBe(401)
    expect(rx.rejected.at(-1)).toBe('Message timestamp too old')

    expect((await replay(signed, body.replace('node2', 'node3'))).status).toBe(401)
    expect(rx.rejected.at(-1)).toBe('No matching signature found')
    expect(rx.received.length).toBe(before)
  })
})

describe('outbound safety', () => {
  it('refuses a host that is not allow-listed without sending anything', async () => {
    // Refused when the config is read (`tandem check`) ...
    const parsed = WebhookChannel.safeParse({
      url: rx.url,
      secrets: ['env:NEW'],
      allow: ['hooks.example.com'],
    })
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ['url'],
      message: "host 127.0.0.1 is not on this channel's allow list (hooks.example.com)",
    })
    // ... and again at send time, for a channel that got past it (a URL from a secret).
    const requests = rx.requests
    const sneaked = { ...channel({}), allow: ['hooks.example.com'] }
    const result = await notifier.send(notice(), sneaked, ctx())
    expect(result).toMatchObject({
      ok: false,
      retry: false,
      detail: "[webhook] 127.0.0.1 is not in the channel's allow list",
    })
    expect(rx.requests).toBe(requests)
  })

  it('refuses a name that resolves to a loopback address unless that range is listed', async () => {
    const url = rx.url.replace('127.0.0.1', 'localhost')
    const refused = await notifier.send(notice(), channel({ url, allow: ['localhost'] }), ctx())
    expect(refused).toMatchObject({ ok: false, retry: false })
    expect(refused.detail).toMatch(
      /localhost resolves to (127\.0\.0\.1|::1), a loopback\/private\/link-local address/,
    )
    const ok = await notifier.send(
      notice(),
      channel({ url, allow: ['localhost', '127.0.0.0/8'] }),
      ctx(),
    )
    expect(ok).toMatchObject({ ok: true })
  })

  it('connects to the address it checked, not to a second resolution', async () => {
    // The name does not exist in DNS: only the pinned, checked address can reach the receiver.
    let lookups = 0
    const result = await post(
      new URL(rx.url.replace('127.0.0.1', 'hooks.tandem.invalid')),
      '{}',
      { 'content-type': 'application/json' },
      {
        allow: parseAllowList(['hooks.tandem.invalid', '127.0.0.1/32']),
        signal: AbortSignal.timeout(2_000),
        maxRedirects: 0,
        agent: () => new Agent(),
        resolve: async () => {
          lookups++
          return [{ address: '127.0.0.1', family: 4 }]
        },
      },
    )
    expect(result).toMatchObject({ kind: 'response' })
    expect(lookups).toBe(1)
  })

  it('follows a 307 on the same host, never a redirect to another host', async () => {
    rx.respond = () => ({ status: 307, headers: { location: '/hooks/tandem/again' } })
    const loop = await notifier.send(notice(), channel({}), ctx())
    expect(loop).toMatchObject({ ok: false, retry: false })
    expect(loop.detail).toMatch(/more than 2 redirects/)
    rx.respond = ({ attempt }) =>
      attempt === 1 ? { status: 307, headers: { location: '/hooks/tandem/next' } } : undefined
    const sameHost = await notifier.send(notice(), channel({}), ctx())
    expect(sameHost).toMatchObject({ ok: true })
    rx.respond = () => ({
      status: 307,
      headers: { location: rx.url.replace('127.0.0.1', 'localhost') },
    })
    const otherHost = await notifier.send(notice(), channel({}), ctx())
    expect(otherHost).toMatchObject({ ok: false, retry: false })
    expect(otherHost.detail).toMatch(/redirect from 127\.0\.0\.1:\d+ to localhost:\d+ refused/)
    rx.respond = undefined
  })
})

describe('formats', () => {
  it('speaks Alertmanager webhook v4', async () => {
    const n = notice()
    await notifier.send(n, channel({ format: 'alertmanager' }), ctx())
    expect(rx.received.at(-1)!.payload).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'ops',
      groupKey: n.groupKey,
      groupLabels: { severity: 'critical' },
      externalURL: 'https://tandem.example',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'node.down', node: 'node2' },
          endsAt: '0001-01-01T00:00:00Z',
        },
      ],
    })
  })

  it('speaks Slack incoming webhooks, escaping what Slack would interpret', async () => {
    const slack = await startWebhookReceiver()
    try {
      const n = notice({ title: 'node <!channel> & co' })
      const result = await notifier.send(
        n,
        channel({ url: slack.url, format: 'slack', secrets: [] }),
        {
          ...ctx(),
          rendered: renderNotice(n),
        },
      )
      expect(result.ok).toBe(true)
      expect(slack.received[0]?.headers['webhook-signature']).toBeUndefined()
      const text = (slack.received[0]!.payload as { text: string }).text
      expect(text).toMatch(/^\*\[tandem\] FIRING: node &lt;!channel&gt; &amp; co\*\n```/)
      expect(text).toContain('<https://tandem.example/|dashboard>')
    } finally {
      await slack.close()
    }
  })

  it('keeps the committed JSON Schema of the payload in sync with its zod schema', async () => {
    const committed = await readFile(
      new URL('../../schema/webhook-payload.schema.json', import.meta.url),
      'utf8',
    )
    expect(committed, 'run `npm run schema` and commit the result').toBe(payloadJsonSchema())
  })
})
