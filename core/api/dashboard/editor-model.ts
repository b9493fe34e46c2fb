// What the dashboard's editor shows: the entries as written in the files, grouped in lists (nodes,
// services, checks, VMs, storage, fencing), each with its schema's fields and the loader's paths.
import { parse } from 'yaml'
import type { ConfigSnapshot } from '../../editor/index.ts'
import {
  Check,
  FenceDevice,
  Node,
  NodeFencing,
  Service,
  Storage,
  Vm,
} from '../../inventory/index.ts'
import { type FormField, fieldValues, formFields, subFields } from './editor-fields.ts'

export type { FormField } from './editor-fields.ts'

type At = (string | Record<string, string>)[]

/** One entry as it is written, and where the loader would report its problems. */
export interface EntryForm {
  /** `changes[].at` of the entry. */
  at: At
  /** The loader's field path of the entry, e.g. `services[0].real_servers[2]`. */
  field: string
  /** What it is called (`node3`, `http`). */
  label: string
  values: Record<string, string>
}

/** A list of the config (`vms`, `services[web].checks`): its entries, and how to add one. */
export interface Collection {
  /** Unique in the page: ids of its forms start with it. */
  id: string
  /** `Checks of web`. */
  title: string
  /** One entry, in words: `check`, `VM`. */
  noun: string
  /** Whose list it is, in words: `web`, `node node1`; absent for the top-level lists. */
  of?: string
  /** `changes[].at` of the list itself (where `add` appends). */
  at: At
  /** The loader's field path a new entry gets (the end of the list). */
  next: string
  fields: FormField[]
  entries: EntryForm[]
}

export interface EditorModel {
  version: string
  files: { path: string; text: string }[]
  realServerFields: FormField[]
  lvsFields: FormField[]
  services: {
    name: string
    field: string
    lvs?: EntryForm
    realServers: EntryForm[]
    /** The loader's field path a new real server gets (the end of the list). */
    nextRealServer: string
  }[]
  /** Names of the nodes, for the node inputs' suggestions. */
  nodeNames: string[]
  /** Every other list, in the order the page shows them. */
  collections: Collection[]
}

const serviceFields = formFields(Service)
const realServerFields = formFields(Service.shape.real_servers.unwrap().element).filter(
  (f) => f.key !== 'node',
)
const lvsFields = subFields(serviceFields, 'lvs')
const FIELDS = {
  node: formFields(Node),
  service: serviceFields,
  check: formFields(Check),
  vm: formFields(Vm),
  storage: formFields(Storage),
  fenceDevice: formFields(FenceDevice),
  nodeFencing: formFields(NodeFencing),
}

/**
 * The editor's model of a config snapshot. Entries are read from the files as written (no
 * defaults filled in), in the order the loader merges them: main file first, then includes.
 *
 * @example
 * editorModel(await openConfig('tandem.yaml')).services[0].realServers[0].values.weight // '5'
 */
export function editorModel(snapshot: ConfigSnapshot): EditorModel {
  const lists = { services: [], nodes: [], vms: [], storage: [], devices: [], fencing: [] } as {
    [k in 'services' | 'nodes' | 'vms' | 'storage' | 'devices' | 'fencing']: Entry[]
  }
  for (const file of snapshot.files) {
    const data = safeParse(file.text)
    const fencing = isObject(data.fencing) ? data.fencing : {}
    lists.services.push(...listOf(data.services))
    lists.nodes.push(...listOf(data.nodes))
    lists.vms.push(...listOf(data.vms))
    lists.storage.push(...listOf(data.storage))
    lists.devices.push(...listOf(fencing.devices))
    lists.fencing.push(...listOf(fencing.nodes))
  }
  const services = lists.services.filter(named('name'))
  const nodes = lists.nodes.filter(named('name'))
  return {
    version: snapshot.version,
    files: snapshot.files,
    realServerFields,
    lvsFields,
    services: services.map((service) => serviceForms(service, lists.services.indexOf(service))),
    nodeNames: nodes.map((n) => String(n.name)),
    collections: [
      collection('nodes', 'Nodes', 'node', ['nodes'], 'nodes', lists.nodes, FIELDS.node, 'name', [
        'checks',
      ]),
      ...nodes.map((node) =>
        checksOf('nodes', node, lists.nodes.indexOf(node), `node ${String(node.name)}`),
      ),
      collection(
        'services',
        'Services',
        'service',
        ['services'],
        'services',
        lists.services,
        FIELDS.service,
        'name',
        ['lvs', 'real_servers', 'checks'],
      ),
      ...services.map((service) =>
        checksOf('services', service, lists.services.indexOf(service), String(service.name)),
      ),
      collection('vms', 'VMs', 'VM', ['vms'], 'vms', lists.vms, FIELDS.vm, 'name'),
      collection(
        'storage',
        'Storage',
        'storage entry',
        ['storage'],
        'storage',
        lists.storage,
        FIELDS.storage,
        'name',
      ),
      collection(
        'fence-devices',
        'Fence devices',
        'fence device',
        ['fencing', 'devices'],
        'fencing.devices',
        lists.devices,
        FIELDS.fenceDevice,
        'name',
      ),
      collection(
        'fencing',
        'Fencing levels',
        'node fencing',
        ['fencing', 'nodes'],
        'fencing.nodes',
        lists.fencing,
        FIELDS.nodeFencing,
        'node',
      ),
    ],
  }
}

type Entry = Record<string, unknown>

function serviceForms(service: Entry, index: number): EditorModel['services'][number] {
  const name = String(service.name)
  const at = ['services', { name }]
  const field = `services[${index}]`
  const servers = listOf(service.real_servers)
  return {
    name,
    field,
    lvs: isObject(service.lvs)
      ? {
          at: [...at, 'lvs'],
          field: `${field}.lvs`,
          label: name,
          values: fieldValues(service.lvs, lvsFields),
        }
      : undefined,
    realServers: servers.flatMap((server, j) =>
      typeof server.node === 'string'
        ? [
            {
              at: [...at, 'real_servers', { node: server.node }],
              field: `${field}.real_servers[${j}]`,
              label: server.node,
              values: fieldValues(server, realServerFields),
            },
          ]
        : [],
    ),
    nextRealServer: `${field}.real_servers[${servers.length}]`,
  }
}

function checksOf(list: 'nodes' | 'services', owner: Entry, index: number, whose: string) {
  const name = String(owner.name)
  return collection(
    `${list}-${name}-checks`,
    `Checks of ${whose}`,
    ['check', whose],
    [list, { name }, 'checks'],
    `${list}[${index}].checks`,
    listOf(owner.checks),
    FIELDS.check,
    'name',
  )
}

/** A list's forms; `skip`: keys edited elsewhere (a service's real servers, a node's checks). */
function collection(
  id: string,
  title: string,
  noun: string | [string, string],
  at: At,
  field: string,
  entries: Entry[],
  all: FormField[],
  key: 'name' | 'node',
  skip: string[] = [],
): Collection {
  const fields = all.filter((f) => !skip.some((s) => f.key === s || f.key.startsWith(`${s}.`)))
  return {
    id,
    title,
    ...(typeof noun === 'string' ? { noun } : { noun: noun[0], of: noun[1] }),
    at,
    next: `${field}[${entries.length}]`,
    fields,
    entries: entries.flatMap((entry, i) =>
      typeof entry[key] === 'string'
        ? [
            {
              at: [...at, { [key]: entry[key] as string }],
              field: `${field}[${i}]`,
              label: entry[key] as string,
              values: fieldValues(entry, fields),
            },
          ]
        : [],
    ),
  }
}

function named(key: string) {
  return (entry: Entry) => typeof entry[key] === 'string'
}

function safeParse(text: string): Entry {
  try {
    const data = parse(text, { maxAliasCount: 0 })
    return isObject(data) ? data : {}
  } catch {
    // A file that does not parse has no forms: the raw view is how it gets fixed.
    return {}
  }
}

function listOf(value: unknown): Entry[] {
  return Array.isArray(value) ? value.filter(isObject) : []
}

function isObject(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
