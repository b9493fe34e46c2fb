// Request and response shapes shared by several routes; the OpenAPI document is generated from them.
import { z } from 'zod'

const Json = z.record(z.string(), z.unknown())

/** Epoch milliseconds, or an RFC 3339 date in query strings and bodies. */
export const Instant = z
  .union([z.number().int().nonnegative(), z.string().min(1)])
  .transform((value, ctx) => {
    const ms = typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : Date.parse(value)
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected epoch milliseconds or an RFC 3339 date' })
      return z.NEVER
    }
    return ms
  })

/** `?limit=` with a ceiling, so no request reads an unbounded table. */
export const Limit = z.coerce.number().int().min(1).max(500).default(100)

/** A query parameter that may repeat: always an array once parsed. */
export const Repeated = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]))

export const EventOut = z.object({
  id: z.number().int(),
  type: z.string(),
  subject: z.string(),
  at: z.number().int(),
  labels: z.record(z.string(), z.string()),
  payload: Json,
})

export const Page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() })

export const Matcher = z.object({
  label: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a label name'),
  op: z.enum(['=', '!=', '=~', '!~']).default('='),
  value: z.string().max(1024),
})

export const SilenceOut = z.object({
  id: z.string(),
  kind: z.enum(['silence', 'maintenance']),
  matchers: z.array(
    z.object({ label: z.string(), op: z.enum(['=', '!=', '=~', '!~']), value: z.string() }),
  ),
  startsAt: z.number().int(),
  endsAt: z.number().int(),
  createdBy: z.string(),
  comment: z.string(),
  state: z.enum(['active', 'pending', 'expired']),
})

export const StepOut = z.object({
  id: z.string(),
  runId: z.string(),
  index: z.number().int(),
  name: z.string(),
  uses: z.string(),
  input: Json,
  commands: z.array(z.unknown()),
  status: z.string(),
  blockedBy: z.string().nullable(),
  attempt: z.number().int(),
  target: z.string().nullable(),
  result: Json.nullable(),
  error: z.string().nullable(),
  startedAt: z.number().int().nullable(),
  finishedAt: z.number().int().nullable(),
})

export const ApprovalOut = z.object({
  id: z.string(),
  stepId: z.string(),
  status: z.string(),
  requestedAt: z.number().int(),
  expiresAt: z.number().int(),
  decidedBy: z.string().nullable(),
  reason: z.string().nullable(),
  decidedAt: z.number().int().nullable(),
})

export const RunOut = z.object({
  id: z.string(),
  incidentId: z.string().nullable(),
  policy: z.string(),
  trigger: Json,
  status: z.string(),
  dryRun: z.boolean(),
  actor: z.string(),
  startedAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
})

export const IncidentOut = z.object({
  id: z.string(),
  key: z.string(),
  status: z.string(),
  title: z.string(),
  openedAt: z.number().int(),
  /** When its cause last cleared (status resolved, or closed after the hold-down). */
  resolvedAt: z.number().int().nullable(),
  closedAt: z.number().int().nullable(),
  eventId: z.number().int().nullable(),
  /** The failure it is about (`node.down`, `manual` ...) and its subject. */
  cause: z.string().nullable(),
  subject: z.string().nullable(),
})

/** Keys whose values are never shown, wherever they appear in stored JSON. */
const SECRET_KEY =
  /^(password|passwd|secret|secrets|token|community|key|private_key|snmp_priv_passwd|identity_file|authorization|auth_token|credentials)$/i

/**
 * Replaces the values of secret-looking keys with `***`, at any depth. Stored JSON is
 * redacted by its writers; this is the second lock on the way out.
 */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (depth > 20 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1)) as T
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEY.test(k) ? '***' : redactSecrets(v, depth + 1)
  return out as T
}
