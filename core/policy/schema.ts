// The policy file schema (zod, strict): triggers, condition, steps, guards and notify, defined once.
import { validateDetailed } from 'node-cron'
import { z } from 'zod'
import { EVENT_TYPES } from '../events/index.ts'
import { Duration, Name } from '../inventory/index.ts'

const EventType = z.enum(EVENT_TYPES)

/** A name or a glob (`node*`, `web-?`), or a list of them: any one may match. */
const Pattern = z.union([
  z.string().min(1).max(200),
  z.array(z.string().min(1).max(200)).min(1).max(100),
])

/** Keys a trigger may select on besides `labels`; each reads the event label of that name. */
export const SELECTOR_KEYS = ['node', 'service', 'vm', 'check', 'subject'] as const

export const EventTrigger = z.strictObject({
  event: z.union([EventType, z.array(EventType).min(1)]),
  node: Pattern.optional(),
  service: Pattern.optional(),
  vm: Pattern.optional(),
  check: Pattern.optional(),
  subject: Pattern.optional(),
  labels: z.record(z.string(), Pattern).optional(),
})

export const ScheduleTrigger = z.strictObject({
  schedule: z.string().superRefine((pattern, ctx) => {
    const result = validateDetailed(pattern)
    if (!result.valid)
      ctx.addIssue({
        code: 'custom',
        message: `not a cron expression: ${result.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      })
  }),
  timezone: z.string().optional(),
})

const Manual = z.literal('manual')
const Trigger = z.union([Manual, EventType, EventTrigger, ScheduleTrigger])

const Retry = z.strictObject({
  count: z.number().int().min(0).max(20).default(0),
  backoff: Duration.default(5_000),
})

export const Step = z.strictObject({
  /** Shown in plans, notices and the journal; defaults to `uses`. */
  name: z.string().min(1).max(200).optional(),
  uses: z
    .string()
    .regex(/^[a-z][a-z0-9-]*\.[a-z][a-z0-9_]*$/, 'expected "plugin.action", e.g. "lvs.drain"'),
  /** The action's inputs; strings may hold `${{ cel }}` templates. */
  with: z.record(z.string(), z.unknown()).default({}),
  /** `${{ list }}`: one step per item, the item is `item` in this step's templates. */
  foreach: z.string().optional(),
  /** At most this many foreach items run at once. */
  concurrency: z.number().int().min(1).max(100).default(1),
  timeout: Duration.default(60_000),
  retry: Retry.default({ count: 0, backoff: 5_000 }),
  /** Read real state back after the action (default: when the action can verify). */
  verify: z.boolean().optional(),
  on_failure: z.enum(['abort', 'continue', 'escalate']).default('abort'),
})

const Window = z.strictObject({ count: z.number().int().min(1), window: Duration })

export const Guards = z.strictObject({
  /** No new run for the same incident within this time after the last one. */
  cooldown: Duration.optional(),
  max_runs: Window.optional(),
  concurrency: z.number().int().min(1).optional(),
  max_drained_percent: z.number().min(0).max(100).optional(),
  max_fences: Window.optional(),
  require_quorum: z.boolean().default(true),
  maintenance_aware: z.boolean().default(true),
  approval: z.enum(['required', 'none']).default('none'),
  approval_ttl: Duration.optional(),
})

export const Notify = z.strictObject({
  channels: z.array(Name).min(1),
  on: z
    .array(z.enum(['started', 'succeeded', 'failed', 'blocked']))
    .min(1)
    .default(['succeeded', 'failed', 'blocked']),
  /**
   * Trigger labels whose values say what the incident covers: alerts carrying the same values
   * join its thread instead of paging alone (default: the trigger's node, service and vm).
   * `[storage]` puts every check on a dead export's storage under the export's incident.
   */
  covers: z.array(Name).min(1).max(8).optional(),
})

export const Policy = z.strictObject({
  /** Unique across the policies directory; defaults to the file name without `.yaml`. */
  name: Name.optional(),
  description: z.string().max(2000).optional(),
  enabled: z.boolean().default(true),
  /** Plan and journal only: `describe`, never `run`. */
  dry_run: z.boolean().default(false),
  on: z.union([Trigger, z.array(Trigger).min(1).max(50)]),
  /** A CEL expression over `event`, `inventory` and `health`; the policy acts only when true. */
  if: z.string().min(1).optional(),
  /** The condition must hold this long (re-checked against health when the time is up). */
  for: Duration.optional(),
  /** Runs for the same problem share an incident; a `${{ }}` template, default `type:subject`. */
  incident: z.string().min(1).optional(),
  steps: z.array(Step).min(1).max(100),
  guards: Guards.default({ require_quorum: true, maintenance_aware: true, approval: 'none' }),
  notify: Notify.optional(),
})

export type PolicyFile = z.output<typeof Policy>
export type PolicyInput = z.input<typeof Policy>
export type StepSpec = z.output<typeof Step>
export type EventTriggerSpec = z.output<typeof EventTrigger>
export type ScheduleTriggerSpec = z.output<typeof ScheduleTrigger>
