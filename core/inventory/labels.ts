// Label matching for routes, silences and maintenance windows (Alertmanager's semantics: RE2
// regexes, anchored, a missing label is ""), shared by notify, the executor and the policy preview.
import { compilePattern, type Pattern } from './re2.ts'
import type { LabelMatcher } from './routes.ts'

const compiled = new Map<string, Pattern>()
const NEVER: Pattern = { matches: () => false, find: () => false }

/**
 * True when every matcher matches `labels` (no matchers: always true).
 *
 * @example
 * matchesAll({ severity: 'critical' }, [{ label: 'severity', op: '=~', value: 'crit.*' }]) // true
 */
export function matchesAll(
  labels: Readonly<Record<string, string>>,
  matchers: readonly LabelMatcher[],
): boolean {
  return matchers.every((m) => matchesOne(labels[m.label] ?? '', m))
}

/** True when every entry of `subset` is in `labels` with the same value (and `subset` is not empty). */
export function hasLabels(
  labels: Readonly<Record<string, string>>,
  subset: Readonly<Record<string, string>>,
): boolean {
  const entries = Object.entries(subset)
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v)
}

function matchesOne(value: string, matcher: LabelMatcher): boolean {
  switch (matcher.op) {
    case '=':
      return value === matcher.value
    case '!=':
      return value !== matcher.value
    case '=~':
      return pattern(matcher.value).matches(value)
    case '!~':
      return !pattern(matcher.value).matches(value)
  }
}

function pattern(source: string): Pattern {
  let re = compiled.get(source)
  if (!re) {
    // Matchers are validated when written; one that is not (a silence from an old API, a
    // JavaScript-only pattern stored before RE2) never matches.
    try {
      re = compilePattern(source)
    } catch {
      re = NEVER
    }
    if (compiled.size > 1000) compiled.clear()
    compiled.set(source, re)
  }
  return re
}
