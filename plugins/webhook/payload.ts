// The webhook bodies: tandem's versioned payload (its zod schema is the documented contract), Alertmanager's, Slack's.
import { createHash } from 'node:crypto'
import { type Notice, type RenderedNotice, z } from '../../core/plugin/index.ts'

const Labels = z.record(z.string(), z.string())
const Iso = z.string().describe('RFC 3339 date-time in UTC')

/** Version 1 of the body of a `standard` webhook. Fields are only ever added within a version. */
export const WebhookPayloadV1 = z
  .object({
    version: z.literal(1),
    type: z.enum(['notice.firing', 'notice.resolved']),
    /** When the notice was created (not when this attempt was sent). */
    timestamp: Iso,
    data: z.object({
      id: z
        .string()
        .describe('Same as the webhook-id header; stable across retries: de-duplicate on it'),
      receiver: z.string(),
      groupKey: z
        .string()
        .describe('Notices of one group or incident share it; they arrive in order'),
      status: z.enum(['firing', 'resolved']),
      severity: z.enum(['info', 'warning', 'critical']),
      title: z.string(),
      subject: z
        .string()
        .describe('The one-line headline, the same as the email subject ("[tandem] PENDING: ...")')
        .optional(),
      summary: z.string(),
      labels: Labels,
      groupLabels: Labels.optional(),
      outcome: z
        .enum(['pending', 'handling', 'succeeded', 'failed', 'blocked', 'held', 'escalated'])
        .optional(),
      incident: z
        .object({ id: z.string(), runId: z.string().optional(), policy: z.string().optional() })
        .optional(),
      events: z.array(
        z.object({
          type: z.string(),
          subject: z.string(),
          at: Iso,
          detail: z.string(),
          status: z.enum(['firing', 'resolved']).optional(),
          labels: Labels.optional(),
          endedAt: Iso.optional(),
        }),
      ),
      actions: z.array(
        z.object({ step: z.string(), uses: z.string(), status: z.string(), detail: z.string() }),
      ),
      refused: z.array(z.object({ what: z.string(), guard: z.string(), reason: z.string() })),
      links: z.array(z.object({ label: z.string(), url: z.string() })),
      createdAt: Iso,
    }),
  })
  .describe('tandem notice webhook payload, version 1 (Standard Webhooks signed)')

export type WebhookPayloadV1 = z.output<typeof WebhookPayloadV1>

/** The JSON Schema committed at schema/webhook-payload.schema.json. */
export function payloadJsonSchema(): string {
  const schema = z.toJSONSchema(WebhookPayloadV1, { io: 'output' })
  return `${JSON.stringify({ ...schema, title: 'tandem webhook payload v1' }, null, 2)}\n`
}

/** The body for a channel's format. */
export function bodyFor(
  format: 'standard' | 'alertmanager' | 'slack',
  notice: Notice,
  rendered: RenderedNotice,
): string {
  if (format === 'alertmanager') return JSON.stringify(alertmanagerBody(notice))
  if (format === 'slack') return JSON.stringify(slackBody(notice, rendered))
  return JSON.stringify(standardBody(notice, rendered))
}

export function standardBody(notice: Notice, rendered?: RenderedNotice): WebhookPayloadV1 {
  const iso = (ms: number) => new Date(ms).toISOString()
  // Mail threading only: the payload's stable thread id is `incident.id` (and `groupKey`).
  const { opensThread: _mailOnly, ...fields } = notice
  return {
    version: 1,
    type: notice.status === 'resolved' ? 'notice.resolved' : 'notice.firing',
    timestamp: iso(notice.createdAt),
    data: {
      ...fields,
      ...(rendered ? { subject: rendered.subject } : {}),
      events: notice.events.map((e) => ({
        ...e,
        at: iso(e.at),
        endedAt: e.endedAt === undefined ? undefined : iso(e.endedAt),
      })),
      createdAt: iso(notice.createdAt),
    },
  }
}

/** Alertmanager's webhook body (version 4), so existing Alertmanager receivers take tandem's notices. */
function alertmanagerBody(notice: Notice) {
  const externalURL = notice.links[0] ? new URL(notice.links[0].url).origin : ''
  const alerts =
    notice.events.length > 0
      ? notice.events.map((e) => ({
          status: e.status ?? notice.status,
          labels: { alertname: e.type, ...(e.labels ?? {}) },
          annotations: { summary: e.detail },
          startsAt: new Date(e.at).toISOString(),
          endsAt: e.endedAt ? new Date(e.endedAt).toISOString() : '0001-01-01T00:00:00Z',
        }))
      : [
          {
            status: notice.status,
            labels: { alertname: notice.outcome ?? 'tandem', ...notice.labels },
            annotations: { summary: notice.title, description: notice.summary },
            startsAt: new Date(notice.createdAt).toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
          },
        ]
  return {
    version: '4',
    groupKey: notice.groupKey,
    truncatedAlerts: 0,
    status: notice.status,
    receiver: notice.receiver,
    groupLabels: notice.groupLabels ?? {},
    commonLabels: notice.labels,
    commonAnnotations: { summary: notice.title, description: notice.summary },
    externalURL,
    alerts: alerts.map((a) => ({
      ...a,
      generatorURL: externalURL,
      fingerprint: fingerprint(a.labels),
    })),
  }
}

/** A Slack (and Mattermost) incoming-webhook body: the text rendering in a code block. */
function slackBody(notice: Notice, rendered: RenderedNotice) {
  const body = rendered.text.length > 3_000 ? `${rendered.text.slice(0, 3_000)}…` : rendered.text
  const links = notice.links.map((l) => `<${l.url}|${slackEscape(l.label)}>`).join(' · ')
  return {
    text: `*${slackEscape(rendered.subject)}*\n\`\`\`${slackEscape(body)}\`\`\`${links ? `\n${links}` : ''}`,
  }
}

function slackEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/```/g, "'''")
}

function fingerprint(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001')
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}
