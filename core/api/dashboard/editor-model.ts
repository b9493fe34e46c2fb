// What the dashboard's editor shows: each form's fields, read from the loader's zod schemas (as
// JSON Schema), and the entries as written in the files, with the field path the loader names.
import { parse } from 'yaml'
import { z } from 'zod'
import type { ConfigSnapshot } from '../../editor/index.ts'
import { Node, Service } from '../../inventory/index.ts'

/** One input of a form: a scalar of the schema, or a scalar inside a nested object. */
export interface FormField {
  /** Dotted key inside the entry (`weight`, `thresholds.upper`), as the loader's `field` ends. */
  key: string
  kind: 'integer' | 'text' | 'choice'
  choices?: string[]
  required: boolean
  /** The schema's default, shown as the placeholder. */
  placeholder?: string
  /** The schema's bounds, said beside the label (not enforced by the browser: the loader is). */
  hint?: string
}

/** One entry as it is written, and where the loader would report its problems. */
export interface EntryForm {
  /** `changes[].at` of the entry. */
  at: (string | Record<string, string>)[]
  /** The loader's field path of the entry, e.g. `services[0].real_servers[2]`. */
  field: string
  values: Record<string, string>
}

export interface EditorModel {
  version: string
  files: { path: string; text: string }[]
  realServerFields: FormField[]
  lvsFields: FormField[]
  nodeFields: FormField[]
  services: {
    name: string
    field: string
    lvs?: EntryForm
    realServers: EntryForm[]
    /** The loader's field path a new real server gets (the end of the list). */
    nextRealServer: string
  }[]
  nodes: EntryForm[]
}

type JsonSchema = {
  type?: string
  enum?: string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  default?: unknown
  minimum?: number
  maximum?: number
  anyOf?: JsonSchema[]
}

const serviceSchema = z.toJSONSchema(Service, { io: 'input', unrepresentable: 'any' }) as JsonSchema
const nodeSchema = z.toJSONSchema(Node, { io: 'input', unrepresentable: 'any' }) as JsonSchema
const serviceProperties = serviceSchema.properties ?? {}
const realServerFields = fieldsOf(
  (serviceProperties.real_servers as { items: JsonSchema }).items,
).filter((f) => f.key !== 'node')
const lvsFields = fieldsOf(serviceProperties.lvs as JsonSchema)
const nodeFields = fieldsOf(nodeSchema).filter((f) => f.key !== 'name')

/**
 * The editor's model of a config snapshot. Entries are read from the files as written (no
 * defaults filled in), in the order the loader merges them: main file first, then includes.
 *
 * @example
 * editorModel(await openConfig('tandem.yaml')).services[0].realServers[0].values.weight // '5'
 */
export function editorModel(snapshot: ConfigSnapshot): EditorModel {
  const services: Record<string, unknown>[] = []
  const nodes: Record<string, unknown>[] = []
  for (const file of snapshot.files) {
    const data = safeParse(file.text)
    services.push(...listOf(data.services))
    nodes.push(...listOf(data.nodes))
  }
  return {
    version: snapshot.version,
    files: snapshot.files,
    realServerFields,
    lvsFields,
    nodeFields,
    services: services.flatMap((service, i) => {
      if (typeof service.name !== 'string') return []
      const at = ['services', { name: service.name }]
      const field = `services[${i}]`
      const servers = listOf(service.real_servers)
      return [
        {
          name: service.name,
          field,
          lvs: isObject(service.lvs)
            ? { at: [...at, 'lvs'], field: `${field}.lvs`, values: flatValues(service.lvs) }
            : undefined,
          realServers: servers.flatMap((server, j) =>
            typeof server.node === 'string'
              ? [
                  {
                    at: [...at, 'real_servers', { node: server.node }],
                    field: `${field}.real_servers[${j}]`,
                    values: flatValues(server),
                  },
                ]
              : [],
          ),
          nextRealServer: `${field}.real_servers[${servers.length}]`,
        },
      ]
    }),
    nodes: nodes.flatMap((node, i) =>
      typeof node.name === 'string'
        ? [{ at: ['nodes', { name: node.name }], field: `nodes[${i}]`, values: flatValues(node) }]
        : [],
    ),
  }
}

/** The scalar fields of an object schema, nested objects flattened to dotted keys. */
function fieldsOf(schema: JsonSchema, prefix = ''): FormField[] {
  const out: FormField[] = []
  const required = new Set(schema.required ?? [])
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const name = `${prefix}${key}`
    if (property.type === 'object') out.push(...fieldsOf(property, `${name}.`))
    else if (property.enum)
      out.push({ ...base(name, property, required), kind: 'choice', choices: property.enum })
    else if (property.type === 'integer' || property.type === 'number')
      out.push({ ...base(name, property, required), kind: 'integer', hint: bounds(property) })
    else if (property.type === 'string')
      out.push({ ...base(name, property, required), kind: 'text' })
    // Lists and maps (checks, labels, roles) are edited in the raw view.
  }
  return out
}

function base(key: string, property: JsonSchema, required: Set<string>) {
  const placeholder = property.default === undefined ? undefined : String(property.default)
  return { key, required: required.has(key.split('.').pop() as string), placeholder }
}

function bounds(property: JsonSchema): string | undefined {
  const { minimum, maximum } = property
  if (minimum === undefined) return undefined
  return maximum === undefined || maximum >= Number.MAX_SAFE_INTEGER
    ? `≥ ${minimum}`
    : `${minimum}–${maximum}`
}

/** Scalars of an entry as the inputs show them, nested objects under dotted keys. */
function flatValues(entry: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {}
  if (!isObject(entry)) return out
  for (const [key, value] of Object.entries(entry)) {
    if (isObject(value)) Object.assign(out, flatValues(value, `${prefix}${key}.`))
    else if (value !== null && typeof value !== 'object') out[`${prefix}${key}`] = String(value)
  }
  return out
}

function safeParse(text: string): Record<string, unknown> {
  try {
    const data = parse(text, { maxAliasCount: 0 })
    return isObject(data) ? data : {}
  } catch {
    // A file that does not parse has no forms: the raw view is how it gets fixed.
    return {}
  }
}

function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : []
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
