// Secret values out of everything the executor stores: inputs, argv, results, errors.
import { redact } from '../inventory/index.ts'

/**
 * A deep copy of `value` with every known secret replaced by `***` in every string
 * (keys included); numbers and booleans are kept.
 *
 * @example
 * redactDeep({ argv: ['x', 'pw=s3cret'] }, ['s3cret']) // { argv: ['x', 'pw=***'] }
 */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value
  return walk(value, secrets) as T
}

/** A redacted one-line string (errors, tool messages). */
export function redactText(text: string, secrets: readonly string[]): string {
  return redact(text, secrets)
}

function walk(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets)
  if (Array.isArray(value)) return value.map((item) => walk(item, secrets))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[redact(key, secrets)] = walk(item, secrets)
    return out
  }
  return value
}
