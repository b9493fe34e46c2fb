// Label matching for routes, silences and maintenance windows (Alertmanager's semantics: regexes
// anchored, a missing label is ""), shared by notify, the executor and the policy preview.
import type { LabelMatcher } from './routes.ts'

const compiled = new Map<string, RegExp>()

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
      return regex(matcher.value).test(value)
    case '!~':
      return !regex(matcher.value).test(value)
  }
}

function regex(source: string): RegExp {
  let re = compiled.get(source)
  if (!re) {
    // Matchers are validated at load; one that is not (a silence from an old API) never matches.
    try {
      re = new RegExp(`^(?:${source})$`)
    } catch {
      re = /(?!)/
    }
    if (compiled.size > 1000) compiled.clear()
    compiled.set(source, re)
  }
  return re
}
