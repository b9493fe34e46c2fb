// Parses `clustat -x` (rgmanager 3.x): members, quorum and every service's state, owner and flags.
//
// The format is that of xml_cluster_status() in rgmanager/src/utils/clustat.c (3.0.12):
// <clustat version="4.1.1"> with <cluster name id generation/>, <quorum quorate groupmember/>,
// <nodes><node name state local estranged rgmanager rgmanager_master qdisk nodeid/></nodes> and
// <groups><group name state state_str flags flags_str owner last_owner restarts last_transition
// last_transition_str/></groups>. clustat prints any refusal from rgmanager (e.g. "Service
// states unavailable: Operation requires quorum") before the XML and then leaves <groups> out.
import { XMLParser } from 'fast-xml-parser'
import { PluginError, z } from '../../core/plugin/index.ts'

/** One configured cluster node as cman and rgmanager see it from the node clustat ran on. */
export interface Member {
  name: string
  nodeid: number
  online: boolean
  local: boolean
  /** rgmanager runs there (only known while rgmanager answers, i.e. with quorum). */
  rgmanager: boolean
}

/** One service (`service:db`, `vm:guest1`) and where it runs. */
export interface ServiceState {
  name: string
  /** rg_state_str(): started, stopped, disabled, failed, recoverable, recovering, migrating … */
  state: string
  stateCode: number
  flags: string[]
  /** Current owner, null when it runs nowhere. */
  owner: string | null
  lastOwner: string | null
  restarts: number
  /** Seconds since the epoch. */
  lastTransition: number
}

export interface ClusterStatus {
  cluster: { name: string; id: number; generation: number } | null
  /** null when clustat did not report it (e.g. `-s`). */
  quorate: boolean | null
  nodes: Member[]
  /** null when rgmanager gave no service list (no quorum, or not running). */
  services: ServiceState[] | null
  /** What clustat said before the XML, e.g. "Service states unavailable: Operation requires quorum". */
  notice: string
}

const flag = z.enum(['0', '1']).transform((v) => v === '1')
const int = z.string().regex(/^\d+$/).transform(Number)
const owner = z.string().transform((v) => (v === 'none' || v === 'unknown' ? null : v))

const NodeXml = z.object({
  name: z.string().min(1),
  state: flag,
  local: flag,
  rgmanager: flag,
  qdisk: flag.default(false),
  nodeid: z
    .string()
    .regex(/^0x[0-9a-f]{1,8}$/i)
    .transform((v) => Number.parseInt(v, 16)),
})

const GroupXml = z.object({
  name: z.string().min(1),
  state: int,
  state_str: z.string().min(1),
  flags_str: z.string().default(''),
  owner,
  last_owner: owner,
  restarts: int,
  last_transition: int,
})

const ClustatXml = z.object({
  clustat: z.object({
    cluster: z.object({ name: z.string(), id: int, generation: int }).optional(),
    quorum: z.object({ quorate: flag }).optional(),
    nodes: z.union([z.literal(''), z.object({ node: z.array(NodeXml).default([]) })]).optional(),
    groups: z.union([z.literal(''), z.object({ group: z.array(GroupXml).default([]) })]).optional(),
  }),
})

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  isArray: (name, _path, _leaf, isAttribute) =>
    !isAttribute && (name === 'node' || name === 'group'),
})

/**
 * Reads clustat's XML (and any message printed before it). Output that is not clustat XML is a
 * `PluginError` of kind `BAD_OUTPUT` quoting what came back.
 */
export function parseClustat(text: string): ClusterStatus {
  const start = text.indexOf('<?xml')
  if (start < 0) throw badOutput(text, 'no XML in clustat output')
  let raw: unknown
  try {
    raw = parser.parse(text.slice(start), true)
  } catch (cause) {
    throw badOutput(text, `clustat XML does not parse: ${(cause as Error).message}`, cause)
  }
  const parsed = ClustatXml.safeParse(raw)
  if (!parsed.success) throw badOutput(text, `unexpected clustat XML: ${parsed.error.message}`)
  const { cluster, quorum, nodes, groups } = parsed.data.clustat
  return {
    cluster: cluster ?? null,
    quorate: quorum ? quorum.quorate : null,
    // A quorum disk appears as a node entry (qdisk="1", nodeid 0); it is not a member.
    nodes: (nodes || { node: [] }).node
      .filter((n) => !n.qdisk)
      .map((n) => ({
        name: n.name,
        nodeid: n.nodeid,
        online: n.state,
        local: n.local,
        rgmanager: n.rgmanager,
      })),
    services:
      groups === undefined
        ? null
        : (groups || { group: [] }).group.map((g) => ({
            name: g.name,
            state: g.state_str,
            stateCode: g.state,
            flags: g.flags_str.split(' ').filter(Boolean),
            owner: g.owner,
            lastOwner: g.last_owner,
            restarts: g.restarts,
            lastTransition: g.last_transition,
          })),
    notice: text.slice(0, start).trim(),
  }
}

/** Running in rgmanager's sense (clustat -s exits 0 for these). */
export function isRunning(service: ServiceState): boolean {
  return ['starting', 'started', 'stopping'].includes(service.state)
}

/**
 * The node a service is on or last ran on: its owner while running, else the last owner (a
 * service stopped for recovery keeps its dead owner as `last_owner`).
 */
export function whereItRan(service: ServiceState): string | null {
  return service.owner ?? service.lastOwner
}

function badOutput(text: string, why: string, cause?: unknown): PluginError {
  const excerpt = text.trim().slice(0, 300)
  return new PluginError('rgmanager', 'BAD_OUTPUT', excerpt || '(no output)', {
    context: why,
    cause,
  })
}
