// Events → candidate policies, fast: an index by event type, then by one selector's value or prefix.
import type { TandemEvent } from '../events/index.ts'
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
  /** selector key → literal prefix of a glob (`node1` of `node1*`) → entries. */
  byPrefix: Map<string, { longest: number; entries: Map<string, Entry[]> }>
  /** Triggers without a selective selector: every event of the type is tested against them. */
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
        const bucket = buckets.get(type) ?? { byKey: new Map(), byPrefix: new Map(), rest: [] }
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
      for (const [key, index] of bucket.byPrefix) {
        const value = selectorValue(event, key)
        if (value === undefined) continue
        for (let n = Math.min(value.length, index.longest); n > 0; n--) {
          const entries = index.entries.get(value.slice(0, n))
          if (entries) for (const e of entries) if (triggerAccepts(e.trigger, event)) found.push(e)
        }
      }
      for (const e of bucket.rest) if (triggerAccepts(e.trigger, event)) found.push(e)
      return unique(found)
    },
  }
}

function add(bucket: Bucket, entry: Entry): void {
  const indexed = entry.trigger.selectors.find((s) => s.exact.length > 0)
  if (!indexed) {
    const globbed = entry.trigger.selectors.find((s) => s.prefixes.length > 0)
    if (globbed) addByPrefix(bucket, globbed.key, globbed.prefixes, entry)
    else bucket.rest.push(entry)
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

function addByPrefix(bucket: Bucket, key: string, prefixes: string[], entry: Entry): void {
  const index = bucket.byPrefix.get(key) ?? { longest: 0, entries: new Map<string, Entry[]>() }
  bucket.byPrefix.set(key, index)
  for (const prefix of prefixes) {
    index.longest = Math.max(index.longest, prefix.length)
    const list = index.entries.get(prefix)
    if (list) list.push(entry)
    else index.entries.set(prefix, [entry])
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
