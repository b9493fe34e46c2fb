// The cluster at a glance, from the inventory and the store: what the status route and the dashboard show.
import { and, count, eq, gt, inArray, isNotNull, lte } from 'drizzle-orm'
import type { Inventory, Service } from '../../inventory/index.ts'
import {
  approvals,
  fenceStates,
  healthStates,
  incidents,
  type Store,
  silences,
} from '../../store/index.ts'

export type TargetState = 'up' | 'down' | 'degraded' | 'unreachable' | 'unknown'

export interface Health {
  state: TargetState
  since: number | null
  stateType: string
  flapping: boolean
}

export interface RealServerStatus {
  node: string
  address: string
  port: number
  forwarding: string
  weight: number
  /** The weight IPVS has now, when a probe reported it (service detail `realServers`). */
  liveWeight: number | null
  health: Health
  checks: { name: string; health: Health }[]
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
    owner: string | null
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
  } | null
  fenceLevels: { devices: { name: string; agent: string | null; kind: string | null }[] }[]
  guests: { name: string; state: TargetState; memoryMib: number }[]
  clusterServices: string[]
  realServers: { service: string; port: number; weight: number; state: TargetState }[]
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
  storage: { name: string; kind: string; where: string; health: Health }[]
  /** Targets not up (checks included), worst first, at most 200. */
  problems: { target: string; kind: string; state: TargetState; since: number; flapping: boolean }[]
}

const UNKNOWN: Health = { state: 'unknown', since: null, stateType: 'hard', flapping: false }
const DETAIL_KINDS = ['node', 'service', 'vm', 'storage']

/**
 * Reads every health row once (without details) plus the details of nodes, services, VMs
 * and storage, and lays them over the inventory. Cost is one pass over health_states.
 *
 * @example
 * const status = await clusterStatus(store, inventory, Date.now())
 */
export async function clusterStatus(
  store: Store,
  inv: Inventory,
  now: number,
): Promise<ClusterStatus> {
  const { db } = store
  const [rows, detailRows, fences, [openInc], [pending], [silenced]] = await Promise.all([
    db
      .select({
        target: healthStates.target,
        kind: healthStates.kind,
        state: healthStates.state,
        stateType: healthStates.stateType,
        flapping: healthStates.flapping,
        since: healthStates.since,
      })
      .from(healthStates),
    db
      .select({ target: healthStates.target, detail: healthStates.detail })
      .from(healthStates)
      .where(and(inArray(healthStates.kind, DETAIL_KINDS), isNotNull(healthStates.detail))),
    db.select().from(fenceStates),
    db.select({ n: count() }).from(incidents).where(eq(incidents.status, 'open')),
    db
      .select({ n: count() })
      .from(approvals)
      .where(and(eq(approvals.status, 'pending'), gt(approvals.expiresAt, now))),
    db
      .select({ n: count() })
      .from(silences)
      .where(and(lte(silences.startsAt, now), gt(silences.endsAt, now))),
  ])
  const health = new Map(rows.map((r) => [r.target, r]))
  const details = new Map(detailRows.map((r) => [r.target, r.detail ?? {}]))
  const fenceOf = new Map(fences.map((f) => [f.node, f]))
  const h = (target: string): Health => {
    const row = health.get(target)
    return row
      ? {
          state: row.state as TargetState,
          since: row.since,
          stateType: row.stateType,
          flapping: row.flapping,
        }
      : UNKNOWN
  }
  const byState: Record<string, number> = {}
  for (const r of rows) byState[r.state] = (byState[r.state] ?? 0) + 1
  const services = inv.config.services.map((s) => serviceStatus(s, inv, h, details))
  const vms = inv.config.vms.map((vm) => {
    const host = stringField(details.get(vm.name), 'host') ?? vm.host
    return {
      name: vm.name,
      host,
      declaredHost: vm.host,
      toolstack: vm.toolstack,
      memoryMib: vm.memory_mib,
      health: h(vm.name),
    }
  })
  return {
    cluster: {
      name: inv.config.cluster?.name ?? null,
      manager: inv.config.cluster?.manager ?? null,
    },
    generatedAt: now,
    summary: {
      targets: rows.length,
      byState,
      openIncidents: openInc?.n ?? 0,
      pendingApprovals: pending?.n ?? 0,
      activeSilences: silenced?.n ?? 0,
    },
    nodes: inv.config.nodes.map((node) => ({
      name: node.name,
      address: node.address,
      roles: node.roles,
      health: h(node.name),
      fence: fenceView(fenceOf.get(node.name)),
      fenceLevels: fenceLevels(inv, node.name),
      guests: vms
        .filter((vm) => vm.host === node.name)
        .map((vm) => ({ name: vm.name, state: vm.health.state, memoryMib: vm.memoryMib })),
      clusterServices: services.filter((s) => s.cluster?.owner === node.name).map((s) => s.name),
      realServers: services.flatMap((s) =>
        s.realServers
          .filter((r) => r.node === node.name)
          .map((r) => ({
            service: s.name,
            port: r.port,
            weight: r.liveWeight ?? r.weight,
            state: r.health.state,
          })),
      ),
    })),
    services,
    vms,
    storage: inv.config.storage.map((st) => ({
      name: st.name,
      kind: st.kind,
      where: st.kind === 'gnbd' ? `${st.server}:${st.export}` : `${st.on} on ${st.mountpoint}`,
      health: h(st.name),
    })),
    problems: rows
      .filter((r) => r.state !== 'up')
      .sort((a, b) => severity(b.state) - severity(a.state) || a.since - b.since)
      .slice(0, 200)
      .map((r) => ({
        target: r.target,
        kind: r.kind,
        state: r.state as TargetState,
        since: r.since,
        flapping: r.flapping,
      })),
  }
}

function serviceStatus(
  s: Service,
  inv: Inventory,
  h: (target: string) => Health,
  details: Map<string, Record<string, unknown>>,
): ServiceStatus {
  const detail = details.get(s.name)
  const live = (detail?.realServers ?? {}) as Record<string, { weight?: unknown }>
  const manager = s.cluster?.rgmanager ? 'rgmanager' : 'pacemaker'
  return {
    name: s.name,
    health: h(s.name),
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
      const checks = s.checks.map((c) => ({
        name: c.name,
        health: h(`${s.name}/${rs.node}/${c.name}`),
      }))
      const liveWeight = live[rs.node]?.weight
      return {
        node: rs.node,
        address: inv.node(rs.node)?.address ?? '',
        port: rs.port ?? s.lvs?.port ?? 0,
        forwarding: rs.forwarding ?? s.lvs?.forwarding ?? 'route',
        weight: rs.weight,
        liveWeight: typeof liveWeight === 'number' ? liveWeight : null,
        health: worst(checks.map((c) => c.health)),
        checks,
      }
    }),
    cluster: s.cluster
      ? {
          manager,
          name: s.cluster.rgmanager?.service ?? s.cluster.pacemaker?.resource ?? s.name,
          owner: stringField(detail, 'owner') ?? stringField(detail, 'node') ?? null,
          preferred: s.cluster.preferred,
        }
      : null,
    storage: s.storage,
    sharedStorage: inv.usesSharedStorage(s),
  }
}

function fenceLevels(inv: Inventory, node: string): NodeStatus['fenceLevels'] {
  // Device names and agents only: fence options hold credentials and never leave the process.
  return (inv.fencingOf(node)?.levels ?? []).map((level) => ({
    devices: level.map((entry) => {
      const name = typeof entry === 'string' ? entry : entry.device
      const device = inv.fenceDevice(name)
      return { name, agent: device?.agent ?? null, kind: device?.kind ?? null }
    }),
  }))
}

function fenceView(row: typeof fenceStates.$inferSelect | undefined): NodeStatus['fence'] {
  return row
    ? { state: row.state, method: row.method, incidentId: row.incidentId, updatedAt: row.updatedAt }
    : null
}

function worst(list: Health[]): Health {
  if (list.length === 0) return UNKNOWN
  return list.reduce((a, b) => (severity(b.state) > severity(a.state) ? b : a))
}

function severity(state: string): number {
  return { up: 0, unknown: 1, degraded: 2, unreachable: 3, down: 4 }[state] ?? 1
}

function stringField(detail: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = detail?.[key]
  return typeof value === 'string' ? value : undefined
}
