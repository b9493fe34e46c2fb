// Bounds every JSON body must keep before any schema sees it: nesting depth and container sizes.
import { HttpError } from './http-error.ts'

/** Deeper than any request tandem documents; deep enough for Alertmanager's payloads. */
export const MAX_JSON_DEPTH = 32
/** Elements in one array or keys in one object (Alertmanager groups of 10 000 alerts pass). */
export const MAX_JSON_ITEMS = 10_000

/**
 * Parses `text` and refuses, with a 400 naming the field, a body nested deeper than
 * MAX_JSON_DEPTH or with a container larger than MAX_JSON_ITEMS. JSON.parse itself is
 * iterative; the walk here is too, so neither can overflow the stack, and later recursive code
 * (schemas, hashing, redaction) only ever sees bounded values.
 *
 * @example
 * parseBoundedJson('{"with":{"a":1}}') // { with: { a: 1 } }
 */
export function parseBoundedJson(text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new HttpError(400, 'BAD_REQUEST', '[api] body is not valid JSON', { cause })
  }
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }]
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop() as (typeof stack)[number]
    if (v === null || typeof v !== 'object') continue
    if (depth >= MAX_JSON_DEPTH) throw refused(path, `nested deeper than ${MAX_JSON_DEPTH} levels`)
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v)
    if (entries.length > MAX_JSON_ITEMS)
      throw refused(path, `more than ${MAX_JSON_ITEMS} ${Array.isArray(v) ? 'items' : 'keys'}`)
    for (const [key, child] of entries)
      if (child !== null && typeof child === 'object')
        stack.push({ value: child, path: path ? `${path}.${key}` : key, depth: depth + 1 })
  }
  return value
}

function refused(path: string, why: string): HttpError {
  // A path 30 levels deep is noise: the first levels say where.
  const shown = path.split('.').slice(0, 6).join('.') || '(body)'
  return new HttpError(
    400,
    'BAD_REQUEST',
    `[api] ${shown}${path.split('.').length > 6 ? '…' : ''}: ${why}`,
  )
}
