// "Did you mean …?": the nearest valid name for a typo, and the valid keys of a schema at a path.
import type { z } from 'zod'

/** The candidate closest to `input` by edit distance, if it is close enough to be a typo. */
export function nearestName(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  const limit = Math.max(2, Math.floor(input.length / 3))
  return bestDistance <= limit ? best : undefined
}

/** `unknown key "x"; did you mean "y"?` (or the valid keys) for a key `schema` rejects at `path`. */
export function unknownKeyMessage(
  key: string,
  schema: z.ZodType,
  data: unknown,
  path: readonly PropertyKey[],
): string {
  const valid = objectKeysAt(schema, data, path)
  const near = nearestName(key, valid)
  const hint = near
    ? `; did you mean "${near}"?`
    : valid.length
      ? `; valid keys: ${valid.join(', ')}`
      : ''
  return `unknown key "${key}"${hint}`
}

/** The keys an object schema accepts at `path` of `data` (unions resolved by the data). */
export function objectKeysAt(
  schema: z.ZodType,
  data: unknown,
  path: readonly PropertyKey[],
): string[] {
  let current: ZodLike | undefined = schema as unknown as ZodLike
  let value = data
  for (const key of path) {
    current = unwrap(current, value)
    if (!current) return []
    const def = current._zod.def
    if (def.type === 'object') current = def.shape?.[String(key)]
    else if (def.type === 'array') current = def.element
    else if (def.type === 'record') current = def.valueType
    else return []
    value = (value as Record<PropertyKey, unknown> | undefined)?.[key]
  }
  current = unwrap(current, value)
  return current?._zod.def.type === 'object' ? Object.keys(current._zod.def.shape ?? {}) : []
}

interface ZodLike {
  _zod: {
    def: {
      type: string
      shape?: Record<string, ZodLike>
      element?: ZodLike
      valueType?: ZodLike
      innerType?: ZodLike
      in?: ZodLike
      options?: ZodLike[]
    }
  }
}

function unwrap(schema: ZodLike | undefined, value: unknown): ZodLike | undefined {
  let current = schema
  for (let depth = 0; current && depth < 20; depth++) {
    const def: ZodLike['_zod']['def'] = current._zod.def
    if (def.innerType) current = def.innerType
    else if (def.type === 'pipe' && def.in) current = def.in
    else if (def.type === 'union' && def.options) current = pickOption(def.options, value)
    else return current
  }
  return current
}

/** The union member whose keys overlap the data the most: what the author most likely meant. */
function pickOption(options: ZodLike[], value: unknown): ZodLike | undefined {
  const keys = value && typeof value === 'object' ? Object.keys(value) : []
  let best: ZodLike | undefined
  let bestScore = -1
  for (const option of options) {
    const inner = unwrap(option, value)
    if (inner?._zod.def.type !== 'object') continue
    const shape = inner._zod.def.shape ?? {}
    const score = keys.filter((k) => k in shape).length
    if (score > bestScore) {
      best = inner
      bestScore = score
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = saved
    }
  }
  return row[b.length]!
}
