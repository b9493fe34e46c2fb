// POST /ingest/webhook/:source: alerts from any system that signs per Standard Webhooks.
import { z } from 'zod'
import { HttpError } from '../http-error.ts'
import { type IngestedEvent, normalSeverity, storeIngested } from '../ingest.ts'
import { endpoint } from '../route.ts'
import { Instant } from '../schemas.ts'
import { checkSignedHeaders, verifyStandardWebhook } from '../webhook-signature.ts'

const Incoming = z
  .object({
    type: z.enum(['alert.received', 'alert.resolved']),
    subject: z.string().min(1).max(512),
    at: Instant.optional(),
    labels: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(1024))
      .default({}),
    payload: z.record(z.string().max(128), z.unknown()).default({}),
  })
  .strict()

const Body = z.union([Incoming, z.strictObject({ events: z.array(Incoming).min(1).max(1000) })])

export const ingestWebhook = endpoint({
  summary: 'Signed alerts from any source (Standard Webhooks)',
  description:
    "The body is one event `{ type, subject, labels, payload }` or `{ events: [...] }`, types `alert.received` or `alert.resolved` only (a webhook cannot claim a node is down). Signed with one of the source's secrets; deliveries older or newer than the tolerance (5 min) are refused, and a delivery id seen before is answered 200 without storing anything again.",
  tag: 'ingest',
  params: z.object({ source: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/) }),
  largeBody: true,
  signedBody: Body,
  response: z.object({
    received: z.number().int(),
    stored: z.number().int(),
    duplicates: z.number().int(),
  }),
  admit: ({ c, api, params }) => {
    if (!api.config.webhookSecrets[params.source]?.length)
      throw new HttpError(401, 'UNAUTHORIZED', '[ingest] unknown webhook source')
    checkSignedHeaders(signedHeaders(c), api.now(), api.config.webhookToleranceMs)
  },
  handler: async ({ c, api, params, rawBody }) => {
    const secrets = api.config.webhookSecrets[params.source] ?? []
    const { id } = verifyStandardWebhook(
      secrets,
      signedHeaders(c),
      rawBody,
      api.now(),
      api.config.webhookToleranceMs,
    )
    let parsed: z.output<typeof Body>
    try {
      parsed = Body.parse(JSON.parse(rawBody))
    } catch (cause) {
      if (cause instanceof z.ZodError) throw cause
      throw new HttpError(400, 'BAD_REQUEST', '[ingest] body is not valid JSON', { cause })
    }
    const list = 'events' in parsed ? parsed.events : [parsed]
    const now = api.now()
    const rows: IngestedEvent[] = list.map((e, i) => ({
      type: e.type,
      subject: e.subject,
      at: e.at ?? now,
      labels: { ...e.labels, severity: normalSeverity(e.labels.severity), source: params.source },
      payload: { ...e.payload, webhookId: id },
      dedupKey: `wh:${params.source}:${id}:${i}`,
    }))
    const { stored, duplicates } = await storeIngested(api, params.source, rows)
    return c.json({ received: rows.length, stored, duplicates })
  },
})

function signedHeaders(c: { req: { header(name: string): string | undefined } }) {
  return {
    id: c.req.header('webhook-id'),
    timestamp: c.req.header('webhook-timestamp'),
    signature: c.req.header('webhook-signature'),
  }
}
