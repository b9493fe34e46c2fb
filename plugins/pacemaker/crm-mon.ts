// Parses `crm_mon --output-as=xml` (Pacemaker 2.1, api-version 2.x): nodes, quorum, placement and failures.
//
// Element and attribute names follow the real output in ../shared/reference/pacemaker-crm_mon.xml
// (Pacemaker 2.1.5): <summary><current_dc present name with_quorum/>…</summary>, <nodes><node
// name online standby maintenance unclean shutdown is_dc resources_running type/></nodes>,
// <resources> with <resource>, <group>, <clone> and <bundle><replica> whose active instances
// carry <node name/> children, <failures><failure op_key node exitstatus exitreason exitcode
// task interval last-rc-change/></failures>, and <status code message><errors><error/></errors>.
import { XMLParser } from 'fast-xml-parser'
import { PluginError, z } from '../../core/plugin/index.ts'

export interface NodeStatus {
  name: string
  id: string
  online: boolean
  standby: boolean
  maintenance: boolean
  /** Lost without a confirmed fence: Pacemaker recovers nothing from it until it is fenced. */
  unclean: boolean
  shutdown: boolean
  isDc: boolean
  resourcesRunning: number
  type: string
}

export interface ResourceStatus {
  id: string
  kind: 'primitive' | 'group' | 'clone' | 'bundle'
  agent?: string
  /** Started, Stopped, Promoted, Unpromoted … (primitives only). */
  role?: string
  active: boolean
  failed: boolean
  managed: boolean
  /** Where it is active; for a group, the nodes where every member is active. */
  nodes: string[]
  /** Group members, clone/bundle instances. */
  members?: ResourceStatus[]
}

export interface Failure {
  resource: string
  node: string
  task: string
  intervalMs: number
  exitCode: number
  exitStatus: string
  exitReason: string
  lastRcChange: string
}

export interface PacemakerStatus {
  /** null when no DC is known (e.g. an offline CIB file). */
  dc: string | null
  /** null when unknown (no DC); false: this partition has no quorum. */
  quorum: boolean | null
  nodes: NodeStatus[]
  resources: ResourceStatus[]
  failures: Failure[]
  maintenanceMode: boolean
}

const bool = z.enum(['true', 'false']).transform((v) => v === 'true')
const attrs = z.record(z.string(), z.unknown())
type Attrs = Record<string, unknown> & { node?: Attrs[]; resource?: Attrs[] }

const NodeXml = z.object({
  name: z.string().min(1),
  id: z.string(),
  online: bool,
  standby: bool,
  maintenance: bool.default(false),
  unclean: bool,
  shutdown: bool.default(false),
  is_dc: bool.default(false),
  resources_running: z.string().regex(/^\d+$/).transform(Number).default(0),
  type: z.string().default('member'),
})

const FailureXml = z.object({
  op_key: z.string().min(1),
  node: z.string(),
  task: z.string(),
  interval: z.string().regex(/^\d+$/).transform(Number).default(0),
  exitcode: z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
  exitstatus: z.string().default(''),
  exitreason: z.string().default(''),
  'last-rc-change': z.string().default(''),
})

const ResultXml = z.object({
  'pacemaker-result': z.object({
    summary: z
      .object({
        current_dc: z.object({
          present: bool,
          name: z.string().optional(),
          with_quorum: bool.optional(),
        }),
        cluster_options: attrs.optional(),
      })
      .optional(),
    nodes: z.union([z.literal(''), z.object({ node: z.array(NodeXml).default([]) })]).optional(),
    resources: z.union([z.literal(''), attrs]).optional(),
    failures: z.object({ failure: z.array(FailureXml).default([]) }).optional(),
    status: z.object({
      code: z.string(),
      message: z.string().default(''),
      errors: z.object({ error: z.array(z.unknown()).default([]) }).optional(),
    }),
  }),
})

const ARRAYS = new Set([
  'node',
  'resource',
  'group',
  'clone',
  'bundle',
  'replica',
  'failure',
  'error',
])
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  // Attributes may share a tag's name (<failure node="node2">): only elements are lists.
  isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ARRAYS.has(name),
})

/**
 * Reads crm_mon's XML. crm_mon exits 0 even when it could not reach the CIB and reports that
 * inside the XML instead; that, like output that is not crm_mon XML, is a `PluginError`
 * (`CIB_UNAVAILABLE` / `BAD_OUTPUT`) keeping crm_mon's words.
 */
export function parseCrmMon(text: string): PacemakerStatus {
  let raw: unknown
  try {
    raw = parser.parse(text, true)
  } catch (cause) {
    throw badOutput(text, `crm_mon XML does not parse: ${(cause as Error).message}`, cause)
  }
  const parsed = ResultXml.safeParse(raw)
  if (!parsed.success) throw badOutput(text, `unexpected crm_mon XML: ${parsed.error.message}`)
  const result = parsed.data['pacemaker-result']
  const errors = (result.status.errors?.error ?? []).map(String)
  if (result.status.code !== '0' || errors.length || !result.summary) {
    const words = errors.join('\n') || `${result.status.message} (status ${result.status.code})`
    throw new PluginError('pacemaker', 'CIB_UNAVAILABLE', words, { context: 'crm_mon' })
  }
  const dc = result.summary.current_dc
  return {
    dc: dc.present ? (dc.name ?? null) : null,
    quorum: dc.present ? (dc.with_quorum ?? null) : null,
    nodes: (result.nodes || { node: [] }).node.map((n) => ({
      name: n.name,
      id: n.id,
      online: n.online,
      standby: n.standby,
      maintenance: n.maintenance,
      unclean: n.unclean,
      shutdown: n.shutdown,
      isDc: n.is_dc,
      resourcesRunning: n.resources_running,
      type: n.type,
    })),
    resources: result.resources ? resourcesIn(result.resources as Attrs) : [],
    failures: (result.failures?.failure ?? []).map((f) => ({
      resource: resourceOfOp(f.op_key, f.task, f.interval),
      node: f.node,
      task: f.task,
      intervalMs: f.interval,
      exitCode: f.exitcode,
      exitStatus: f.exitstatus,
      exitReason: f.exitreason,
      lastRcChange: f['last-rc-change'],
    })),
    maintenanceMode: result.summary.cluster_options?.['maintenance-mode'] === 'true',
  }
}

/** A resource (top level, group member or clone child) by id. */
export function findResource(status: PacemakerStatus, id: string): ResourceStatus | undefined {
  const walk = (list: ResourceStatus[]): ResourceStatus | undefined => {
    for (const r of list) {
      if (r.id === id) return r
      const inner = r.kind === 'group' && r.members ? walk(r.members) : undefined
      if (inner) return inner
    }
    return undefined
  }
  return walk(status.resources) ?? cloneChild(status, id)
}

/** "web on node2", "ping-clone on node1, node2", "db stopped". */
export function describePlacement(r: ResourceStatus): string {
  return r.nodes.length ? `${r.id} on ${r.nodes.join(', ')}` : `${r.id} stopped`
}

/** `db_monitor_10000` with task monitor and interval 10000 → `db` (clone instances keep `:0`). */
function resourceOfOp(opKey: string, task: string, interval: number): string {
  const suffix = `_${task}_${interval}`
  return opKey.endsWith(suffix) ? opKey.slice(0, -suffix.length) : opKey
}

function resourcesIn(container: Attrs): ResourceStatus[] {
  const list: ResourceStatus[] = []
  for (const r of (container.resource ?? []) as Attrs[]) list.push(primitive(r))
  for (const g of (container.group ?? []) as Attrs[]) list.push(group(g))
  for (const c of (container.clone ?? []) as Attrs[]) list.push(collection(c, 'clone'))
  for (const b of (container.bundle ?? []) as Attrs[]) list.push(collection(b, 'bundle'))
  return list
}

function primitive(r: Attrs): ResourceStatus {
  const active = r.active === 'true'
  return {
    id: String(r.id),
    kind: 'primitive',
    agent: String(r.resource_agent ?? ''),
    role: String(r.role ?? ''),
    active,
    failed: r.failed === 'true',
    managed: r.managed !== 'false',
    nodes: active ? (r.node ?? []).map((n) => String(n.name)) : [],
  }
}

function group(g: Attrs): ResourceStatus {
  const members = ((g.resource ?? []) as Attrs[]).map(primitive)
  const [first, ...rest] = members
  const nodes = (first?.nodes ?? []).filter((n) => rest.every((m) => m.nodes.includes(n)))
  return {
    id: String(g.id),
    kind: 'group',
    active: members.some((m) => m.active),
    failed: members.some((m) => m.failed),
    managed: g.managed !== 'false',
    nodes,
    members,
  }
}

function collection(c: Attrs, kind: 'clone' | 'bundle'): ResourceStatus {
  const inner = kind === 'bundle' ? ((c.replica ?? []) as Attrs[]) : [c]
  const members = inner.flatMap(resourcesIn)
  const nodes = [...new Set(members.flatMap((m) => m.nodes))]
  return {
    id: String(c.id),
    kind,
    active: nodes.length > 0,
    failed: c.failed === 'true' || members.some((m) => m.failed),
    managed: c.managed !== 'false',
    nodes,
    members,
  }
}

/** A clone's child (`ping` of `ping-clone`) stands for the clone: its instances are the clone's. */
function cloneChild(status: PacemakerStatus, id: string): ResourceStatus | undefined {
  const parent = status.resources.find(
    (r) => (r.kind === 'clone' || r.kind === 'bundle') && r.members?.some((m) => m.id === id),
  )
  return parent ? { ...parent, id } : undefined
}

function badOutput(text: string, why: string, cause?: unknown): PluginError {
  return new PluginError('pacemaker', 'BAD_OUTPUT', text.trim().slice(0, 300) || '(no output)', {
    context: why,
    cause,
  })
}
