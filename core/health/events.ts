// The events tandem reacts to: health transitions, alerts, schedules and manual triggers.
import { z } from 'zod'

export const EVENT_TYPES = [
  'node.down',
  'node.up',
  'node.unreachable',
  'service.down',
  'service.degraded',
  'service.up',
  'check.failed',
  'check.recovered',
  'flapping.start',
  'flapping.stop',
  'vm.down',
  'vm.up',
  'monitor.blind',
  'monitor.sighted',
  'alert.received',
  'alert.resolved',
  'config.invalid',
  'schedule',
  'manual',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/**
 * One event. `subject` names what it is about (`node2`, `web/node2:8080/http`);
 * `labels` are what routing and policy selectors match on; `payload` carries the evidence.
 */
export const TandemEvent = z.object({
  id: z.number().int().optional(),
  type: z.enum(EVENT_TYPES),
  subject: z.string(),
  at: z.number().int(),
  labels: z.record(z.string(), z.string()).default({}),
  payload: z.record(z.string(), z.unknown()).default({}),
})

export type TandemEvent = z.output<typeof TandemEvent>
