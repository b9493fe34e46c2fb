// Event triggers: which events a policy listens to, by type and by name/label selectors with globs.
import type { EventType, TandemEvent } from '../events/index.ts'
import { compilePattern, type Inventory, nearestName } from '../inventory/index.ts'
import { type EventTriggerSpec, SELECTOR_KEYS } from './schema.ts'

/** One selector: the event value read by `key` must match one of the patterns. */
export interface Selector {
  key: string
  /** Patterns without wildcards, for the matcher's index. Empty when any pattern is a glob. */
  exact: string[]
  /** Globs only: the literal text before each wildcard (empty when any glob starts with one). */
  prefixes: string[]
  test(value: string | undefined): boolean
}

export interface CompiledTrigger {
  types: EventType[]
  selectors: Selector[]
}

/** A selector that names something the inventory does not have, relative to the trigger. */
export interface TriggerProblem {
  path: (string | number)[]
  message: string
}

/**
 * Compiles an event trigger. `node`, `service`, `vm`, `check` read the event label of that name
 * (or the subject for the matching event family); `labels.X` reads label X; `subject` the subject.
 */
export function compileTrigger(spec: EventTriggerSpec): CompiledTrigger {
  const types = Array.isArray(spec.event) ? spec.event : [spec.event]
  const selectors: Selector[] = []
  for (const key of SELECTOR_KEYS) {
    const pattern = spec[key]
    if (pattern !== undefined) selectors.push(selector(key, pattern))
  }
  for (const [label, pattern] of Object.entries(spec.labels ?? {}))
    selectors.push(selector(`labels.${label}`, pattern))
  return { types, selectors }
}

/** True when every selector of the trigger accepts the event (its type is checked by the index). */
export function triggerAccepts(trigger: CompiledTrigger, event: TandemEvent): boolean {
  for (const s of trigger.selectors) if (!s.test(selectorValue(event, s.key))) return false
  return true
}

/** The event value a selector key reads. */
export function selectorValue(event: TandemEvent, key: string): string | undefined {
  if (key === 'subject') return event.subject
  if (key.startsWith('labels.')) return event.labels[key.slice(7)]
  return event.labels[key] ?? (event.type.startsWith(`${key}.`) ? event.subject : undefined)
}

/** Names in `node`/`service`/`vm`/`check` selectors that match nothing in the inventory. */
export function triggerProblems(spec: EventTriggerSpec, inventory: Inventory): TriggerProblem[] {
  const known = knownNames(inventory)
  const problems: TriggerProblem[] = []
  for (const key of ['node', 'service', 'vm', 'check'] as const) {
    const pattern = spec[key]
    if (pattern === undefined) continue
    const list = Array.isArray(pattern) ? pattern : [pattern]
    list.forEach((p, i) => {
      const path = Array.isArray(pattern) ? [key, i] : [key]
      const names = known[key]!
      if (isGlob(p) ? names.some(globTest(p)) : names.includes(p)) return
      const near = isGlob(p) ? undefined : nearestName(p, names)
      const what = isGlob(p)
        ? `pattern ${JSON.stringify(p)} matches no ${key}`
        : `no ${key} named ${JSON.stringify(p)}`
      problems.push({
        path,
        message: `${what}${near ? `; did you mean "${near}"?` : unheard(key, names)}`,
      })
    })
  }
  return problems
}

/**
 * A check the inventory does not define never produces an event: say so, with the checks it has,
 * so a policy left behind by a removed check reads as the config error it is.
 */
function unheard(key: string, names: string[]): string {
  if (key !== 'check') return ''
  const some = names.slice(0, 12).join(', ')
  return ` in this inventory, so this trigger can never fire (its checks: ${some || 'none'}${names.length > 12 ? ', …' : ''})`
}

const namesCache = new WeakMap<Inventory, Record<string, string[]>>()

/** Names a selector may use, per inventory (a thousand policies share one inventory). */
function knownNames(inventory: Inventory): Record<string, string[]> {
  const cached = namesCache.get(inventory)
  if (cached) return cached
  const { config } = inventory
  const checks = [
    ...config.nodes.flatMap((n) => n.checks.map((c) => c.name)),
    ...config.services.flatMap((s) => s.checks.map((c) => c.name)),
  ]
  const known = {
    node: config.nodes.map((n) => n.name),
    service: config.services.map((s) => s.name),
    vm: config.vms.map((v) => v.name),
    check: [...new Set(checks)],
  }
  namesCache.set(inventory, known)
  return known
}

function selector(key: string, pattern: string | string[]): Selector {
  const list = Array.isArray(pattern) ? pattern : [pattern]
  if (!list.some(isGlob)) {
    const set = new Set(list)
    return {
      key,
      exact: list,
      prefixes: [],
      test: (value) => value !== undefined && set.has(value),
    }
  }
  const literal = list.map((p) => p.slice(0, p.search(/[*?]|$/)))
  const prefixes = literal.every((p) => p.length > 0) ? [...new Set(literal)] : []
  const tests = list.map(globTest)
  if (tests.length === 1) {
    const [only] = tests as [(value: string) => boolean]
    return { key, exact: [], prefixes, test: (value) => value !== undefined && only(value) }
  }
  return {
    key,
    exact: [],
    prefixes,
    test: (value) => value !== undefined && tests.some((t) => t(value)),
  }
}

/** A glob as a predicate; the common shapes (`*`, `web-*`, `*-db`) avoid a regex. */
function globTest(pattern: string): (value: string) => boolean {
  const star = pattern.indexOf('*')
  const simple = !pattern.includes('?') && star === pattern.lastIndexOf('*')
  if (simple && pattern === '*') return () => true
  if (simple && star === pattern.length - 1) {
    const prefix = pattern.slice(0, -1)
    return (value) => value.startsWith(prefix)
  }
  if (simple && star === 0) {
    const suffix = pattern.slice(1)
    return (value) => value.endsWith(suffix)
  }
  // RE2: `a*a*a*a*b` against a long label from an ingest is linear, not a backtracking stall.
  const compiled = compilePattern(globSource(pattern))
  return (value) => compiled.matches(value)
}

function isGlob(pattern: string): boolean {
  return /[*?]/.test(pattern)
}

/** `*` any run of characters, `?` one character; everything else literal (RE2 syntax). */
function globSource(pattern: string): string {
  return pattern
    .split('')
    .map((c) =>
      c === '*' ? '(?s:.*)' : c === '?' ? '(?s:.)' : c.replace(/[.+*?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('')
}
