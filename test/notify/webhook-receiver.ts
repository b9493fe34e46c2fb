// A real HTTP webhook receiver for tests and the benchmark: verifies Standard Webhooks signatures with the
// independent `standardwebhooks` package and de-duplicates by webhook-id, as a careful receiver would.
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

export interface ReceivedWebhook {
  id: string
  body: string
  payload: unknown
  headers: IncomingHttpHeaders
  receivedAt: number
}

/** What the receiver answers; default 200. `hang`: process the delivery but never answer. */
export type Responder = (
  request: { id: string; attempt: number; headers: IncomingHttpHeaders; body: string },
  res: ServerResponse,
) => { status: number; headers?: Record<string, string>; body?: string } | 'hang' | undefined

export interface WebhookReceiver {
  url: string
  port: number
  /** Deliveries processed, each id once, in arrival order. */
  received: ReceivedWebhook[]
  /** Every request that reached the handler (retries and duplicates included). */
  requests: number
  /** Valid deliveries of an id already processed (acknowledged, not processed again). */
  duplicates: string[]
  /** Requests refused, with the verifier's reason. */
  rejected: string[]
  respond: Responder | undefined
  /** Really stops listening (connections closed): senders get ECONNREFUSED. */
  down(): Promise<void>
  /** Listens again on the same port. */
  up(): Promise<void>
  close(): Promise<void>
}

/**
 * Starts a receiver on 127.0.0.1. With `secret`, every request must verify (signature, freshness
 * within 5 minutes); without, signatures are not checked (Slack/Alertmanager bodies).
 */
export async function startWebhookReceiver(
  options: { secret?: string; port?: number } = {},
): Promise<WebhookReceiver> {
  const verifier = options.secret ? new Webhook(options.secret) : undefined
  const seen = new Set<string>()
  const attempts = new Map<string, number>()
  let server: Server | undefined
  const receiver: WebhookReceiver = {
    url: '',
    port: options.port ?? 0,
    received: [],
    requests: 0,
    duplicates: [],
    rejected: [],
    respond: undefined,
    async down() {
      if (!server) return
      const closing = server
      server = undefined
      closing.closeAllConnections()
      await new Promise<void>((resolve) => closing.close(() => resolve()))
    },
    async up() {
      server = createServer((req, res) => {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => handle(req.headers, Buffer.concat(chunks).toString('utf8'), res))
      })
      server.keepAliveTimeout = 5_000
      server.listen(receiver.port, '127.0.0.1')
      await once(server, 'listening')
      receiver.port = (server.address() as AddressInfo).port
      receiver.url = `http://127.0.0.1:${receiver.port}/hooks/tandem`
    },
    close: () => receiver.down(),
  }

  function handle(headers: IncomingHttpHeaders, body: string, res: ServerResponse): void {
    receiver.requests++
    const id = String(headers['webhook-id'] ?? '')
    if (verifier) {
      try {
        verifier.verify(body, headers as Record<string, string>)
      } catch (error) {
        receiver.rejected.push((error as Error).message)
        res.writeHead(401).end('signature rejected')
        return
      }
    }
    const attempt = (attempts.get(id) ?? 0) + 1
    attempts.set(id, attempt)
    const answer = receiver.respond?.({ id, attempt, headers, body }, res)
    if (answer && answer !== 'hang' && (answer.status < 200 || answer.status >= 300)) {
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '')
      return
    }
    if (seen.has(id)) receiver.duplicates.push(id)
    else {
      seen.add(id)
      receiver.received.push({
        id,
        body,
        payload: JSON.parse(body),
        headers,
        receivedAt: Date.now(),
      })
    }
    // 'hang': processed, but the answer never leaves (the sender times out or dies waiting).
    if (answer === 'hang') return
    res.writeHead(answer?.status ?? 200, answer?.headers).end(answer?.body ?? 'ok')
  }

  await receiver.up()
  return receiver
}

/** A fresh `whsec_` secret (24 random bytes). */
export function newWebhookSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64')}`
}
