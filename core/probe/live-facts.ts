// Plugin probes' live facts (IPVS weights, placement, guest hosts, storage) checked before health trusts them.
import { z } from 'zod'
import type { LiveFacts } from '../plugin/index.ts'

const Name = z.string().min(1).max(200)
const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const State = z.string().min(1).max(60)

const Facts = z.strictObject({
  lvs: z
    .record(
      Name,
      z.strictObject({
        present: z.boolean(),
        servers: z.record(
          Name,
          z.strictObject({ weight: Count, active: Count.optional(), inactive: Count.optional() }),
        ),
      }),
    )
    .optional(),
  placement: z
    .record(
      Name,
      z.strictObject({
        owner: Name.nullable(),
        lastOwner: Name.nullable().optional(),
        state: State,
      }),
    )
    .optional(),
  vms: z
    .record(
      Name,
      z.strictObject({ host: Name.nullable(), hosts: z.array(Name).max(64), state: State }),
    )
    .optional(),
  exports: z
    .record(
      Name,
      z.strictObject({
        state: z.enum(['exported', 'missing', 'down', 'unreachable']),
        server: Name,
      }),
    )
    .optional(),
  mounts: z
    .record(
      Name,
      z.strictObject({
        state: z.enum(['mounted', 'readonly', 'withdrawn', 'missing', 'unreachable']),
        import: z.enum(['imported', 'disconnected', 'missing', 'unreachable', 'local']),
      }),
    )
    .optional(),
})

/**
 * A plugin's `facts` as health may use them, or an error saying what is wrong. Plugin output is
 * data from outside core: a malformed block is dropped whole, never half-trusted.
 *
 * @example
 * parseFacts({ placement: { db: { owner: 'node3', state: 'started' } } }) // { facts: {...} }
 */
export function parseFacts(value: unknown): { facts?: LiveFacts; problem?: string } {
  if (value === undefined) return {}
  const parsed = Facts.safeParse(value)
  if (parsed.success) return { facts: parsed.data }
  const issue = parsed.error.issues[0]!
  return { problem: `facts.${issue.path.join('.')}: ${issue.message}` }
}
