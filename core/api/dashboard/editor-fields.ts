// The editor's form fields, generated from the loader's zod schemas (through JSON Schema), and an
// entry's values as those fields show them. One builder for every kind of entry, so the forms can
// never drift from the rules `tandem check` applies.
import { z } from 'zod'

/** One input of a form: a value of the schema, or a value inside a nested object. */
export interface FormField {
  /** Dotted key inside the entry (`weight`, `thresholds.upper`), as the loader's `field` ends. */
  key: string
  /**
   * `integer`/`text`/`choice`/`boolean`: one value. `list`: one item per line. `map`: one
   * `key=value` per line. `levels`: one fencing level per line, its devices comma-separated,
   * `device:plug` for a device with a plug.
   */
  kind: 'integer' | 'text' | 'choice' | 'boolean' | 'list' | 'map' | 'levels'
  choices?: string[]
  /** `list` of whole numbers (HTTP statuses): sent as numbers. */
  items?: 'integer' | 'text'
  required: boolean
  /** The schema's default, shown as the placeholder. */
  placeholder?: string
  /** The schema's bounds or choices, said beside the label (the loader enforces them). */
  hint?: string
}

type JsonSchema = {
  type?: string | string[]
  enum?: string[]
  const?: string
  properties?: Record<string, JsonSchema>
  additionalProperties?: JsonSchema | boolean
  items?: JsonSchema
  required?: string[]
  default?: unknown
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
}

/**
 * The fields of a zod object schema (or of a union of objects, such as storage's kinds: every
 * variant's keys, `kind` as a choice, required only where every variant requires it). Nested
 * objects become dotted keys; `skip` leaves keys (and their nested keys) to another form.
 *
 * @example
 * formFields(Check).find((f) => f.key === 'rise') // { kind: 'integer', hint: '1–100', placeholder: '2', ... }
 */
export function formFields(schema: z.ZodType, skip: readonly string[] = []): FormField[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
  const fields = fieldsOf(merged(json))
  return fields.filter((f) => !skip.some((s) => f.key === s || f.key.startsWith(`${s}.`)))
}

/** Part of a schema's fields: for a sub-object (`lvs`), its keys without the prefix. */
export function subFields(fields: readonly FormField[], prefix: string): FormField[] {
  return fields
    .filter((f) => f.key.startsWith(`${prefix}.`))
    .map((f) => ({ ...f, key: f.key.slice(prefix.length + 1) }))
}

/** An entry's values as its fields show them (lists and maps one item per line). */
export function fieldValues(
  entry: Record<string, unknown>,
  fields: readonly FormField[],
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const field of fields) {
    const value = field.key
      .split('.')
      .reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), entry)
    const shown = showValue(field, value)
    if (shown !== undefined) out[field.key] = shown
  }
  return out
}

function showValue(field: FormField, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (field.kind === 'list' && Array.isArray(value)) return value.map(String).join('\n')
  if (field.kind === 'map' && isObject(value))
    return Object.entries(value)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join('\n')
  if (field.kind === 'levels' && Array.isArray(value))
    return value
      .map((level) =>
        (Array.isArray(level) ? level : [level])
          .map((d) =>
            isObject(d)
              ? d.plug === undefined
                ? String(d.device)
                : `${d.device}:${d.plug}`
              : String(d),
          )
          .join(', '),
      )
      .join('\n')
  return typeof value === 'object' ? undefined : String(value)
}

/** A union of object variants as one object: keys of all, `const` kinds gathered as an enum. */
function merged(schema: JsonSchema): JsonSchema {
  const variants = schema.oneOf ?? schema.anyOf
  if (!variants) return schema
  const properties: Record<string, JsonSchema> = {}
  for (const variant of variants)
    for (const [key, property] of Object.entries(variant.properties ?? {})) {
      const known = properties[key]
      if (property.const !== undefined)
        properties[key] = { type: 'string', enum: [...(known?.enum ?? []), property.const] }
      else properties[key] ??= property
    }
  const required = (variants[0]?.required ?? []).filter((key) =>
    variants.every((v) => v.required?.includes(key)),
  )
  return { type: 'object', properties, required }
}

function fieldsOf(schema: JsonSchema, prefix = ''): FormField[] {
  const out: FormField[] = []
  const required = new Set(schema.required ?? [])
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const name = `${prefix}${key}`
    const common = {
      key: name,
      required: required.has(key),
      placeholder: shownDefault(property.default),
    }
    const field = fieldOf(property, common)
    if (field) out.push(field)
    else if (property.type === 'object' && property.properties)
      out.push(...fieldsOf(property, `${name}.`))
  }
  return out
}

function fieldOf(
  property: JsonSchema,
  common: Pick<FormField, 'key' | 'required' | 'placeholder'>,
): FormField | undefined {
  const type = property.type
  if (property.enum) return { ...common, kind: 'choice', choices: property.enum }
  if (type === 'boolean') return { ...common, kind: 'boolean', choices: ['true', 'false'] }
  if (type === 'integer' || type === 'number')
    return { ...common, kind: 'integer', hint: bounds(property) }
  if (type === 'string') return { ...common, kind: 'text' }
  if (type === 'object' && !property.properties && property.additionalProperties)
    return { ...common, kind: 'map', hint: 'one key=value a line' }
  if (type !== 'array' || !property.items) return undefined
  const items = property.items
  if (items.type === 'array') return { ...common, kind: 'levels', hint: levelsHint(items) }
  if (items.type === 'object' || items.anyOf) return undefined // entries of their own forms
  const choices = items.enum ? `: ${items.enum.join(', ')}` : ''
  return {
    ...common,
    kind: 'list',
    items: items.type === 'integer' ? 'integer' : 'text',
    hint: `one a line${choices}`,
  }
}

function levelsHint(items: JsonSchema): string {
  const pair = items.items?.anyOf?.find((v) => v.type === 'object')
  const keys = Object.keys(pair?.properties ?? {})
  return keys.length === 2
    ? `one level a line, comma-separated; ${keys[0]}:${keys[1]} for a ${keys[1]}`
    : 'one level a line, comma-separated'
}

function shownDefault(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : undefined
  if (isObject(value)) return undefined
  return String(value)
}

function bounds(property: JsonSchema): string | undefined {
  const { minimum, maximum, exclusiveMinimum } = property
  const low = minimum ?? (exclusiveMinimum === undefined ? undefined : exclusiveMinimum + 1)
  if (low === undefined) return undefined
  return maximum === undefined || maximum >= Number.MAX_SAFE_INTEGER
    ? `≥ ${low}`
    : `${low}–${maximum}`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
