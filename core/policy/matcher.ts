// Events → candidate policies, fast: an index by event type, then by one exact selector value.
import type { TandemEvent } from '../health/index.ts'
import type { CompiledPolicy } from './compile.ts'
import { type CompiledTrigger, selectorValue, triggerAccepts } from './triggers.ts'

interface Entry {
  policy: CompiledPolicy
  trigger: CompiledTrigger
  order: number
}

interface Bucket {
  /** selector key → exact value → entries; only triggers with an exact selector are here. */
  byKey: Map<string, Map<string, Entry[]>>
  rest: Entry[]
}

/** Finds the enabled policies whose trigger accepts an event (the `if:` is evaluated later). */
export interface Matcher {
  candidates(event: TandemEvent): CompiledPolicy[]
}

/**
 * Builds the index. `manual` and `schedule` events name their policy in the subject (or the
 * `policy` label); every other event goes through the index.
 *
 * @example
 * createMatcher(policies).candidates({ type: 'node.down', subject: 'node2', ... })
 */
export function createMatcher(policies: readonly CompiledPolicy[]): Matcher {
  const buckets = new Map<string, Bucket>()
  const byName = new Map<string, CompiledPolicy>()
  policies.forEach((policy, order) => {
    if (!policy.enabled) return
    byName.set(policy.name, policy)
    for (const trigger of policy.triggers) {
      for (const type of trigger.types) {
        const bucket = buckets.get(type) ?? { byKey: new Map(), rest: [] }
        buckets.set(type, bucket)
        add(bucket, { policy, trigger, order })
      }
    }
  })
  return {
    candidates(event) {
      if (event.type === 'manual' || event.type === 'schedule') {
        const policy = byName.get(event.labels.policy ?? event.subject)
        const wanted = event.type === 'manual' ? policy?.manual : policy?.schedules.length
        return policy && wanted ? [policy] : []
      }
      const bucket = buckets.get(event.type)
      if (!bucket) return []
      const found: Entry[] = []
      for (const [key, values] of bucket.byKey) {
        const value = selectorValue(event, key)
        const entries = value === undefined ? undefined : values.get(value)
        if (entries) for (const e of entries) if (triggerAccepts(e.trigger, event)) found.push(e)
      }
      for (const e of bucket.rest) if (triggerAccepts(e.trigger, event)) found.push(e)
      return unique(found)
    },
  }
}

function add(bucket: Bucket, entry: Entry): void {
  const indexed = entry.trigger.selectors.find((s) => s.exact.length > 0)
  if (!indexed) {
    bucket.rest.push(entry)
    return
  }
  const values = bucket.byKey.get(indexed.key) ?? new Map<string, Entry[]>()
  bucket.byKey.set(indexed.key, values)
  for (const value of indexed.exact) {
    const list = values.get(value)
    if (list) list.push(entry)
    else values.set(value, [entry])
  }
}

/** One match per policy, in load order, however many of its triggers accepted the event. */
function unique(found: Entry[]): CompiledPolicy[] {
  if (found.length === 1) return [found[0]!.policy]
  found.sort((a, b) => a.order - b.order)
  const out: CompiledPolicy[] = []
  for (const e of found) if (out[out.length - 1] !== e.policy) out.push(e.policy)
  return out
}
