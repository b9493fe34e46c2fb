// Alertmanager-style label matchers for silences and maintenance windows (=, !=, =~, !~).

export interface LabelMatcher {
  label: string
  op: '=' | '!=' | '=~' | '!~'
  value: string
}

/**
 * True when every matcher holds for `labels`; regexes are anchored like Alertmanager's and a
 * missing label counts as the empty string.
 *
 * @example
 * matchesAll([{ label: 'node', op: '=~', value: 'node[12]' }], { node: 'node2' }) // true
 */
export function matchesAll(matchers: readonly LabelMatcher[], labels: Record<string, string>) {
  return matchers.every((m) => {
    const value = labels[m.label] ?? ''
    switch (m.op) {
      case '=':
        return value === m.value
      case '!=':
        return value !== m.value
      case '=~':
        return anchored(m.value)?.test(value) ?? false
      case '!~':
        return !(anchored(m.value)?.test(value) ?? true)
    }
    return false
  })
}

function anchored(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`)
  } catch {
    return undefined
  }
}
