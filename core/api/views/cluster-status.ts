// The cluster at a glance, from the inventory and the store: what the status route and the dashboard show.
import { healthTarget } from '../../health/index.ts'
import type { Inventory, Service } from '../../inventory/index.ts'
import { isBuiltinKind } from '../../probe/index.ts'
import type { Health, HealthCopy, TargetState } from './health-copy.ts'
import { type BuildMemo, reuse } from './status-parts.ts'

export interface RealServerStatus {
  node: string
  address: string
  port: number
  forwarding: string
  weight: number
  /** The weight IPVS has now, when a probe reported it (service detail `realServers`). */
  liveWeight: number | null
  /** In the director's IPVS table now; null while no lvs.table probe has reported. */
  inTable: boolean | null
  /**
   * Active and inactive connections now (ipvsadm's ActiveConn/InActConn), when the API read
   * them live (`GET /api/v1/services/{name}/stats`); never stored, so null in stored views.
   */
  connections?: { active: number; inactive: number } | null
  health: Health
  /** Check name → state, e.g. `{ http: 'up' }`. */
  checks: Record<string, TargetState>
}

export interface ServiceStatus {
  name: string
  health: Health
  lvs: {
    director: string
    protocol: string
    address: string | null
    port: number | null
    fwmark: number | null
    scheduler: string
    forwarding: string
  } | null
  realServers: RealServerStatus[]
  cluster: {
    manager: 'rgmanager' | 'pacemaker'
    name: string
    /** Where the cluster manager runs it now (a probe's word); null: nowhere, or not reported. */
    owner: string | null
    /** The cluster manager's state of it (`started`, `stopped`, `failed` …); null: not reported. */
    state: string | null
    /** Where it ran last, when it runs nowhere now and the cluster says (rgmanager). */
    lastOwner: string | null
    preferred: string[]
  } | null
  storage: string[]
  sharedStorage: boolean
}

export interface NodeStatus {
  name: string
  address: string
  roles: string[]
  health: Health
  fence: {
    state: string
    method: string | null
    incidentId: string | null
    updatedAt: number
    /** Why the node is unclean (failed fence, a fence it contradicts by answering). */
    reason: string | null
  } | null
  /** Fence devices by level (names only: options hold credentials and never leave). */
  fenceLevels: string[][]
  guests: { name: string; state: TargetState; memoryMib: number }[]
  clusterServices: string[]
  /** `service:port` of every real server on this node. */
  serves: string[]
  /**
   * Why this node has no verdict of its own, or rests on one vantage point: `no checks of its
   * own`, `its checks watch the cluster, not itself`, `membership only`. Null: checked directly.
   */
  verdictNote: string | null
  /** False when nothing can ever give it a verdict: "unknown" there is not "waiting". */
  watched: boolean
}

export interface VmStatus {
  name: string
  host: string
  declaredHost: string
  toolstack: string
  memoryMib: number
  health: Health
}

export interface ClusterStatus {
  cluster: { name: string | null; manager: string | null }
  generatedAt: number
  summary: {
    targets: number
    byState: Record<string, number>
    openIncidents: number
    pendingApprovals: number
    activeSilences: number
  }
  nodes: NodeStatus[]
  services: ServiceStatus[]
  vms: VmStatus[]
  /**
   * Exports and GFS volumes with their health (`storage/<name>` rows) and, once the storage
   * probes reported, their live facts: an export's `export` state and `services`; a volume's
   * `mounts` and `imports` by node, `usable` nodes and `cause` (the export that explains it).
   */
  storage: {
    name: string
    kind: string
    where: string
    health: Health
    live?: Record<string, unknown>
  }[]
  /** Targets not up (checks included), worst first, at most 200. */
  problems: ({ target: string; kind: string; since: number } & Omit<Health, 'since'>)[]
}

const UNKNOWN: Health = { state: 'unknown', since: null }

/** What the view is built from besides the inventory: read together, in one read transaction. */
export interface StatusInputs {
  health: HealthCopy
  fences: FenceRow[]
  openIncidents: number
  pendingApprovals: number
  activeSilences: number
}

export interface FenceRow {
  node: string
  state: string
  method: string | null
  incidentId: string | null
  updatedAt: number
  reason: string | null
}

/**
 * Lays the store's health, fence states and counts over the inventory. Pure: the caller reads
 * the inputs (see currentStatus in status-source.ts, which keeps them incrementally).
 *
 * @example
 * const status = buildClusterStatus(inventory, inputs, Date.now())
 */
export function buildClusterStatus(
  inv: Inventory,
  inputs: StatusInputs,
  now: number,
  memo?: BuildMemo,
): ClusterStatus {
  const rows = [...inputs.health.rows.values()]
  const details = inputs.health.details
  const fenceOf = new Map(inputs.fences.map((f) => [f.node, f]))
  const h = (target: string): Health => inputs.health.rows.get(target)?.health ?? UNKNOWN
  const byState: Record<string, number> = {}
  for (const r of rows) byState[r.health.state] = (byState[r.health.state] ?? 0) + 1
  const services = inv.config.services.map((s) =>
    reuse(memo?.services, s.name, serviceInputs(s, h, details), () =>
      serviceStatus(s, inv, h, details),
    ),
  )
  const vms = inv.config.vms.map((vm) => ({
    name: vm.name,
    host: stringField(details.get(healthTarget.vm(vm.name)), 'host') ?? vm.host,
    declaredHost: vm.host,
    toolstack: vm.toolstack,
    memoryMib: vm.memory_mib,
    health: h(healthTarget.vm(vm.name)),
  }))
  const perNode = groupByNode(services, vms)
  return {
    cluster: {
      name: inv.config.cluster?.name ?? null,
      manager: inv.config.cluster?.manager ?? null,
    },
    generatedAt: now,
    summary: {
      targets: rows.length,
      byState,
      openIncidents: inputs.openIncidents,
      pendingApprovals: inputs.pendingApprovals,
      activeSilences: inputs.activeSilences,
    },
    nodes: inv.config.nodes.map((node) => {
      const health = h(healthTarget.node(node.name))
      const fence = fenceOf.get(node.name)
      const guests = perNode.guests.get(node.name) ?? []
      const clusterServices = perNode.owned.get(node.name) ?? []
      const serves = perNode.serves.get(node.name) ?? []
      const flat = [health, fence, guests.length, clusterServices.length, ...clusterServices]
      for (const g of guests) flat.push(g.name, g.state, g.memoryMib)
      // `serves` and fence levels come from the inventory alone: the memo lives with one inventory.
      return reuse(memo?.nodes, node.name, flat, () => ({
        name: node.name,
        address: node.address,
        roles: node.roles,
        health,
        fence: fenceView(fence),
        fenceLevels: (inv.fencingOf(node.name)?.levels ?? []).map((level) =>
          level.map((entry) => (typeof entry === 'string' ? entry : entry.device)),
        ),
        guests,
        clusterServices,
        serves,
        ...watchOf(inv, node.name),
      }))
    }),
    services,
    vms,
    storage: inv.config.storage.map((st) => ({
      name: st.name,
      kind: st.kind,
      where:
        st.kind !== 'gfs'
          ? `${st.server}:${st.export}`
          : `${st.on ?? st.device} on ${st.mountpoint}`,
      health: h(`storage/${st.name}`),
      ...liveOf(details.get(`storage/${st.name}`)),
    })),
    problems: rows
      .filter((r) => r.health.state !== 'up')
      .sort(
        (a, b) =>
          severity(b.health.state) - severity(a.health.state) ||
          (a.health.since ?? 0) - (b.health.since ?? 0),
      )
      .slice(0, 200)
      .map((r) => ({ target: r.target, kind: r.kind, ...r.health, since: r.health.since ?? 0 })),
  }
}

/** Everything a service's part is made of besides the inventory: its rows, by identity. */
function serviceInputs(
  s: Service,
  h: (target: string) => Health,
  details: ReadonlyMap<string, Record<string, unknown>>,
): unknown[] {
  const target = healthTarget.service(s.name)
  const inputs: unknown[] = [h(target), details.get(target)]
  for (const rs of s.real_servers)
    for (const c of s.checks) inputs.push(h(`${s.name}/${rs.node}/${c.name}`))
  return inputs
}

function serviceStatus(
  s: Service,
  inv: Inventory,
  h: (target: string) => Health,
  details: ReadonlyMap<string, Record<string, unknown>>,
): ServiceStatus {
  const detail = details.get(healthTarget.service(s.name))
  const live = (detail?.realServers ?? {}) as Record<string, { weight?: unknown }>
  const inIpvs = typeof detail?.inIpvs === 'boolean' ? detail.inIpvs : null
  const manager = s.cluster?.rgmanager ? 'rgmanager' : 'pacemaker'
  return {
    name: s.name,
    health: h(healthTarget.service(s.name)),
    lvs: s.lvs
      ? {
          director: s.lvs.director,
          protocol: s.lvs.protocol,
          address: s.lvs.address ?? null,
          port: s.lvs.port ?? null,
          fwmark: s.lvs.fwmark ?? null,
          scheduler: s.lvs.scheduler,
          forwarding: s.lvs.forwarding,
        }
      : null,
    realServers: s.real_servers.map((rs) => {
      const checks: Record<string, TargetState> = {}
      let worst: Health = UNKNOWN
      for (const c of s.checks) {
        const ch = h(`${s.name}/${rs.node}/${c.name}`)
        checks[c.name] = ch.state
        if (worst === UNKNOWN || severity(ch.state) > severity(worst.state)) worst = ch
      }
      const liveWeight = live[rs.node]?.weight
      return {
        node: rs.node,
        address: inv.node(rs.node)?.address ?? '',
        port: rs.port ?? s.lvs?.port ?? 0,
        forwarding: rs.forwarding ?? s.lvs?.forwarding ?? 'route',
        weight: rs.weight,
        liveWeight: typeof liveWeight === 'number' ? liveWeight : null,
        inTable: inIpvs === null ? null : inIpvs && rs.node in live,
        health: worst,
        checks,
      }
    }),
    cluster: s.cluster
      ? {
          manager,
          name: s.cluster.rgmanager?.service ?? s.cluster.pacemaker?.resource ?? s.name,
          owner: stringField(detail, 'owner') ?? null,
          state: stringField(detail, 'ownerState') ?? null,
          lastOwner: stringField(detail, 'lastOwner') ?? null,
          preferred: s.cluster.preferred,
        }
      : null,
    storage: s.storage,
    sharedStorage: inv.usesSharedStorage(s),
  }
}

/** One pass over services and VMs instead of a search per node (thousands of nodes). */
function groupByNode(services: ServiceStatus[], vms: VmStatus[]) {
  const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
    const list = map.get(key)
    if (list) list.push(value)
    else map.set(key, [value])
  }
  const guests = new Map<string, NodeStatus['guests']>()
  const owned = new Map<string, string[]>()
  const serves = new Map<string, string[]>()
  for (const vm of vms)
    push(guests, vm.host, { name: vm.name, state: vm.health.state, memoryMib: vm.memoryMib })
  for (const s of services) {
    if (s.cluster?.owner) push(owned, s.cluster.owner, s.name)
    for (const r of s.realServers) push(serves, r.node, `${s.name}:${r.port}`)
  }
  return { guests, owned, serves }
}

function fenceView(row: FenceRow | undefined): NodeStatus['fence'] {
  return row
    ? {
        state: row.state,
        method: row.method,
        incidentId: row.incidentId,
        updatedAt: row.updatedAt,
        reason: row.reason,
      }
    : null
}

function severity(state: string): number {
  return { up: 0, unknown: 1, degraded: 2, unreachable: 3, down: 4 }[state] ?? 1
}

function stringField(detail: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = detail?.[key]
  return typeof value === 'string' ? value : undefined
}

function liveOf(detail: Record<string, unknown> | undefined) {
  return detail ? { live: detail } : {}
}

/**
 * What can give a node its verdict (core/health/node-votes.ts): its own built-in checks, the
 * checks of the LVS services it serves, the cluster's membership when it is a member.
 */
function watchOf(inv: Inventory, name: string): Pick<NodeStatus, 'verdictNote' | 'watched'> {
  const node = inv.node(name)
  const own = (node?.checks ?? []).some((c) => isBuiltinKind(c.kind))
  const served = inv
    .realServersOn(name)
    .some((r) => (r.service.lvs || !r.service.cluster) && r.service.checks.length > 0)
  if (own || served) return { verdictNote: null, watched: true }
  const membership = inv.config.nodes.some((n) =>
    (n.checks ?? []).some((c) => /\.(membership|status)$/.test(c.kind)),
  )
  if (membership && node?.roles.includes('cluster'))
    return { verdictNote: 'membership only', watched: true }
  const note =
    (node?.checks ?? []).length > 0
      ? 'no verdict: its checks watch the cluster, not itself'
      : 'no verdict: no checks of its own'
  return { verdictNote: note, watched: false }
}
