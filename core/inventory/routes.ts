// The notification route tree (Alertmanager-style): label matchers → receivers, with grouping timers.
import { z } from 'zod'
import { Duration, Name } from './primitives.ts'
import { patternProblem } from './re2.ts'

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/

/** One label matcher, as silences store it and routes use it. */
export interface LabelMatcher {
  label: string
  op: '=' | '!=' | '=~' | '!~'
  value: string
}

/**
 * `severity="critical"`, `service=~"web|db"`, `node!=node1`: parsed once at load, regexes
 * compiled (anchored, like Alertmanager) so a bad one is a config error, not a runtime surprise.
 */
export const LabelMatcher = z.string().transform((text, ctx): LabelMatcher => {
  const parsed = parseMatcher(text)
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed })
    return z.NEVER
  }
  return parsed
})

const Receiver = Name.describe('a channel name (see "channels")')

const GroupBy = z
  .array(
    z.string().refine((s) => s === '...' || LABEL_NAME.test(s), 'expected a label name or "..."'),
  )
  .refine((labels) => !labels.includes('...') || labels.length === 1, {
    message: '"..." (group by every label) stands alone',
  })

/** Fields a child route may override; unset ones are inherited from its parent. */
export const Route = z.strictObject({
  /** Every matcher must match (AND). A route without matchers matches everything. */
  matchers: z.array(LabelMatcher).default([]),
  receiver: Receiver.optional(),
  group_by: GroupBy.optional(),
  group_wait: Duration.optional(),
  group_interval: Duration.optional(),
  repeat_interval: Duration.optional(),
  send_resolved: z.boolean().optional(),
  /** Keep looking at the next sibling routes after this one matched. */
  continue: z.boolean().default(false),
  get routes(): z.ZodDefault<z.ZodArray<typeof Route>> {
    return z.array(Route).default([])
  },
})

/** The root route: matches everything and sets the defaults every child inherits. */
export const Routes = z.strictObject({
  receiver: Receiver,
  /** Who hears about failed actions even during maintenance, and `on_failure: escalate`. */
  escalation: Receiver.optional(),
  group_by: GroupBy.default([]),
  /** Wait this long after a group's first alert, so a burst becomes one notice. */
  group_wait: Duration.default(30_000),
  /** Wait at least this long before telling a group about new or resolved alerts. */
  group_interval: Duration.default(300_000),
  /** Remind about alerts still firing after this long. */
  repeat_interval: Duration.default(14_400_000),
  send_resolved: z.boolean().default(true),
  routes: z.array(Route).default([]),
})

export type Route = z.output<typeof Route>
export type Routes = z.output<typeof Routes>

/** Parses one matcher; a string result is the reason it is invalid. */
export function parseMatcher(text: string): LabelMatcher | string {
  const match = MATCHER.exec(text)
  if (!match)
    return `expected a matcher such as 'severity="critical"' or 'service=~"web|db"', got ${JSON.stringify(text)}`
  const [, label = '', op = '=', raw = ''] = match
  const value = unquote(raw)
  if (value === undefined) return `unbalanced quotes in matcher ${JSON.stringify(text)}`
  if (op === '=~' || op === '!~') {
    const problem = patternProblem(value)
    if (problem)
      return `invalid regular expression ${JSON.stringify(value)}: ${problem.message} at position ${problem.position}`
  }
  return { label, op: op as LabelMatcher['op'], value }
}

function unquote(raw: string): string | undefined {
  if (!raw.startsWith('"')) return raw.includes('"') ? undefined : raw
  if (raw.length < 2 || !raw.endsWith('"')) return undefined
  try {
    return JSON.parse(raw) as string
  } catch {
    return undefined
  }
}
