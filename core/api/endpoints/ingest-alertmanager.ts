// POST /ingest/alertmanager: Alertmanager's webhook (version 4) → one alert event per alert, once.
import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { Inventory } from '../../inventory/index.ts'
import { type IngestedEvent, normalSeverity, storeIngested } from '../ingest.ts'
import { endpoint } from '../route.ts'
import { MAX_INSTANT_MS } from '../schemas.ts'

/** Label and annotation sizes: a label rides in every notice of its group, so it stays small. */
export const ALERT_LIMITS = {
  labels: 64,
  nameChars: 128,
  labelChars: 4096,
  annotationChars: 16_384,
}

const Labels = z
  .record(z.string().max(ALERT_LIMITS.nameChars), z.string().max(ALERT_LIMITS.labelChars))
  .refine(
    (l) => Object.keys(l).length <= ALERT_LIMITS.labels,
    `at most ${ALERT_LIMITS.labels} labels`,
  )
const Annotations = z
  .record(z.string().max(ALERT_LIMITS.nameChars), z.string().max(ALERT_LIMITS.annotationChars))
  .refine(
    (l) => Object.keys(l).length <= ALERT_LIMITS.labels,
    `at most ${ALERT_LIMITS.labels} annotations`,
  )

const Alert = z
  .object({
    status: z.enum(['firing', 'resolved']),
    labels: Labels,
    annotations: Annotations.default({}),
    startsAt: z.string().max(64).refine(saneTime, 'an RFC 3339 time between 1970 and 2200'),
    // Alertmanager sends 0001-01-01T00:00:00Z while an alert fires: any RFC 3339 text passes.
    endsAt: z.string().max(64).optional(),
    generatorURL: z.string().max(2048).optional(),
    fingerprint: z.string().max(64).optional(),
  })
  .loose()

/** Alertmanager's webhook payload, version 4 (unknown fields are accepted and ignored). */
export const AlertmanagerPayload = z
  .object({
    version: z.literal('4'),
    groupKey: z.string().max(4096),
    truncatedAlerts: z.number().int().nonnegative().default(0),
    status: z.enum(['firing', 'resolved']),
    receiver: z.string().max(256),
    groupLabels: Labels.default({}),
    commonLabels: Labels.default({}),
    commonAnnotations: Annotations.default({}),
    externalURL: z.string().max(2048).default(''),
    alerts: z.array(Alert).max(10_000),
  })
  .loose()

export const ingestAlertmanager = endpoint({
  summary: "Alertmanager's webhook receiver (payload version 4)",
  description:
    'Each alert becomes one `alert.received` (firing) or `alert.resolved` event. Alerts are de-duplicated by fingerprint + startsAt + status, so Alertmanager retries, repeat notifications and both members of an HA pair produce one event. Answers 503 when the store cannot take the write (Alertmanager retries). Configure Alertmanager with `http_config.authorization.credentials` set to a token with the `ingest` scope.',
  tag: 'ingest',
  body: AlertmanagerPayload,
  largeBody: true,
  response: z.object({
    received: z.number().int(),
    stored: z.number().int(),
    duplicates: z.number().int(),
  }),
  handler: async ({ c, api, body }) => {
    const inventory = api.inventory()
    const rows = body.alerts.map((alert) => alertEvent(alert, body, inventory))
    const { stored, duplicates } = await storeIngested(api, 'alertmanager', rows)
    return c.json({ received: rows.length, stored, duplicates })
  },
})

function alertEvent(
  alert: z.output<typeof Alert>,
  group: z.output<typeof AlertmanagerPayload>,
  inventory: Inventory,
): IngestedEvent {
  const startsAt = Date.parse(alert.startsAt)
  // An alert that resolves and fires again starts a new episode with a new startsAt, so
  // fingerprint + startsAt + status is one event per episode and state, whoever sends it.
  const fingerprint = alert.fingerprint || labelHash(alert.labels)
  const node = nodeOf(alert.labels, inventory)
  const alertname = alert.labels.alertname ?? 'alert'
  const labels: Record<string, string> = {
    ...alert.labels,
    alertname,
    severity: normalSeverity(alert.labels.severity),
    source: 'alertmanager',
    ...(node ? { node } : {}),
  }
  const ends = alert.endsAt ? Date.parse(alert.endsAt) : Number.NaN
  return {
    type: alert.status === 'firing' ? 'alert.received' : 'alert.resolved',
    subject: node
      ? `${alertname}/${node}`
      : alert.labels.instance
        ? `${alertname}/${alert.labels.instance}`
        : alertname,
    at: alert.status === 'resolved' && ends > 0 ? ends : startsAt,
    labels,
    payload: {
      fingerprint,
      status: alert.status,
      startsAt: alert.startsAt,
      endsAt: alert.endsAt ?? null,
      annotations: alert.annotations,
      generatorURL: alert.generatorURL ?? null,
      receiver: group.receiver,
      groupKey: group.groupKey,
      externalURL: group.externalURL,
      summary: alert.annotations.summary ?? alert.annotations.description ?? null,
    },
    dedupKey: `am:${fingerprint}:${startsAt}:${alert.status}`,
  }
}

/** The inventory node an alert is about: its `node` label, or the host of `instance`. */
function nodeOf(labels: Record<string, string>, inventory: Inventory): string | undefined {
  for (const candidate of [
    labels.node,
    labels.nodename,
    labels.hostname,
    hostOf(labels.instance),
  ]) {
    if (!candidate) continue
    if (inventory.node(candidate)) return candidate
    const byAddress = inventory.config.nodes.find((n) => n.address === candidate)
    if (byAddress) return byAddress.name
  }
  return undefined
}

function hostOf(instance: string | undefined): string | undefined {
  if (!instance) return undefined
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance)
  if (bracketed) return bracketed[1]
  return instance.replace(/:\d+$/, '')
}

function labelHash(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001')
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

function saneTime(text: string): boolean {
  const ms = Date.parse(text)
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_INSTANT_MS
}
