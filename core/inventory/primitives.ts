// The small value types every config section shares: durations, names and secret references.
import { z } from 'zod'

/** `5s`, `250ms`, `2m`, `1h`: parsed to milliseconds. Bare numbers are refused (seconds or ms?). */
export const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration such as "250ms", "5s", "2m", "1h"')
  .transform(parseDuration)

/** A reference to a secret kept outside the file: `env:NAME` or `file:/absolute/path`. */
export const SecretRef = z
  .string()
  .regex(
    /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S+)$/,
    'secrets are referenced, never inline: use "env:NAME" or "file:/absolute/path"',
  )

export const Name = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9._-]{0,62})$/,
    'expected a name of lower-case letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit',
  )

/** Milliseconds from a duration string; the schema has already checked its form. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text)
  if (!match) throw new Error(`not a duration: ${text}`)
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms']
  return Math.round(Number(match[1]) * unit)
}
