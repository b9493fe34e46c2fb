// Builds the views CEL sees from the inventory, health rows and events, with CEL's integer type.
import type { HealthReading, TandemEvent } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import { guestHosts } from './live-inventory.ts'
import {
  EventView,
  HealthView,
  InventoryView,
  NodeView,
  RealServerView,
  ServiceView,
  VIEW_TYPES,
  VmView,
} from './view-types.ts'

export { liveInventory } from './live-inventory.ts'
export * from './view-types.ts'

/**
 * The `inventory` CEL sees: maps by name, with the relations policies ask for precomputed.
 *
 * @example
 * inventoryView(inv).nodes.node2.real_servers.map((r) => r.service)
 */
export function inventoryView(inv: Inventory): InventoryView {
  const { config } = inv
  const realServer = (service: string, r: ReturnType<Inventory['realServersOn']>[number]) =>
    new RealServerView(
      service,
      r.server.node,
      BigInt(r.port),
      BigInt(r.server.weight),
      r.forwarding,
    )
  const nodes: Record<string, NodeView> = {}
  for (const node of config.nodes) {
    nodes[node.name] = new NodeView(
      node.name,
      node.address,
      [...node.roles],
      { ...node.labels },
      [...node.depends_on],
      inv.guestsOf(node.name).map((vm) => vm.name),
      inv.realServersOn(node.name).map((r) => realServer(r.service.name, r)),
      inv.clusterServicesFor(node.name).map((s) => s.name),
    )
  }
  // Each service's real servers in node order, gathered in one pass (not one scan per service).
  const byService = new Map<string, ReturnType<Inventory['realServersOn']>>()
  for (const node of config.nodes)
    for (const r of inv.realServersOn(node.name)) {
      const list = byService.get(r.service.name) ?? []
      list.push(r)
      byService.set(r.service.name, list)
    }
  const services: Record<string, ServiceView> = {}
  for (const service of config.services) {
    const servers = byService.get(service.name) ?? []
    services[service.name] = new ServiceView(
      service.name,
      { ...service.labels },
      service.lvs?.director ?? '',
      servers.map((r) => realServer(service.name, r)),
      service.cluster ? (service.cluster.rgmanager ? 'rgmanager' : 'pacemaker') : '',
      [...(service.cluster?.preferred ?? [])],
      [...service.storage],
      inv.usesSharedStorage(service),
      BigInt(service.min_healthy ?? 0),
    )
  }
  const vms: Record<string, VmView> = {}
  for (const vm of config.vms) {
    vms[vm.name] = new VmView(
      vm.name,
      vm.host,
      vm.toolstack,
      vm.live_migrate,
      BigInt(vm.memory_mib),
      [...vm.preferred],
      { ...vm.labels },
    )
  }
  return new InventoryView(
    nodes,
    services,
    vms,
    config.cluster?.name ?? '',
    config.cluster?.manager ?? '',
  )
}

/**
 * The `health` CEL sees: every inventory node, service and VM with its state (`unknown` when
 * never probed), check states by target, and quorum as tandem sees it unless the caller knows.
 *
 * @example
 * healthView([{ target: 'node2', kind: 'node', state: 'down' }], inv).nodes.node2 // 'down'
 */
export function healthView(
  rows: readonly HealthReading[],
  inv: Inventory,
  options: { quorate?: boolean } = {},
): HealthView {
  const { config } = inv
  const nodes = Object.fromEntries(config.nodes.map((n) => [n.name, 'unknown']))
  const services = Object.fromEntries(config.services.map((s) => [s.name, 'unknown']))
  const vms = Object.fromEntries(config.vms.map((v) => [v.name, 'unknown']))
  const checks: Record<string, string> = {}
  const owners = Object.fromEntries(
    config.services.filter((s) => s.cluster).map((s) => [s.name, s.cluster?.preferred[0] ?? '']),
  )
  const ownerSources: Record<string, 'cluster' | 'preferred'> = Object.fromEntries(
    Object.keys(owners).map((name) => [name, 'preferred']),
  )
  const storage = Object.fromEntries(config.storage.map((s) => [s.name, 'unknown']))
  const mounts: Record<string, Record<string, string>> = Object.fromEntries(
    config.storage.filter((s) => s.kind === 'gfs').map((s) => [s.name, {}]),
  )
  const byKind: Record<string, Record<string, string>> = {
    node: nodes,
    service: services,
    vm: vms,
    storage,
  }
  const usable: Record<string, string[]> = {}
  const causes = Object.fromEntries(config.storage.map((s) => [s.name, '']))
  for (const row of rows) {
    const table = byKind[row.kind]
    const name = row.target.replace(/^(node|service|vm|storage)\//, '')
    if (row.kind === 'storage' && name in mounts) {
      mounts[name] = mountsOf(row.detail)
      if (typeof row.detail?.cause === 'string') causes[name] = row.detail.cause
      if (Array.isArray(row.detail?.usable) && row.state !== 'unknown')
        usable[name] = row.detail.usable.filter((n): n is string => typeof n === 'string')
    }
    if (table) table[name] = row.state
    else checks[row.target] = row.state
    if (row.kind === 'service' && name in owners) liveOwner(row.detail, name)
  }
  const members = config.nodes.filter((n) => n.roles.includes('cluster'))
  const up = members.filter((n) => nodes[n.name] === 'up').length
  // The membership probe's word (target `cluster`, as the executor reads it) beats counting.
  const reported = rows.find((r) => r.target === 'cluster')?.state
  const quorate =
    options.quorate ??
    (reported === 'up' || reported === 'down'
      ? reported === 'up'
      : members.length > 0 && up > members.length / 2)
  const vmHosts = guestHosts(rows, inv)
  return new HealthView(
    nodes,
    services,
    vms,
    checks,
    owners,
    quorate,
    ownerSources,
    vmHosts,
    storage,
    mounts,
    storageReady(inv, usable),
    causes,
  )

  /**
   * The cluster manager's word beats the preferred list: the node running it, else the node it
   * last ran on (a service stopped for recovery belongs to its dead owner), else `""`.
   */
  function liveOwner(detail: HealthReading['detail'], name: string): void {
    const { owner, lastOwner } = detail ?? {}
    if (typeof owner !== 'string' && owner !== null) return
    owners[name] = owner ?? (typeof lastOwner === 'string' ? lastOwner : '')
    ownerSources[name] = 'cluster'
  }
}

/** Each service's nodes that can use all its GFS volumes (see HealthView.storage_ready). */
function storageReady(inv: Inventory, usable: Record<string, string[]>): Record<string, string[]> {
  const cluster = inv.config.nodes.filter((n) => n.roles.includes('cluster')).map((n) => n.name)
  const out: Record<string, string[]> = {}
  for (const service of inv.config.services) {
    let ready = cluster
    for (const name of service.storage) {
      const volume = inv.storage(name)
      if (volume?.kind !== 'gfs') continue
      const can = usable[name] ?? volume.mounted_by
      ready = ready.filter((n) => can.includes(n))
    }
    out[service.name] = ready
  }
  return out
}

/** A storage row's `detail.mounts` (node → mount state), keeping only string values. */
function mountsOf(detail: HealthReading['detail']): Record<string, string> {
  const raw = detail?.mounts
  if (!raw || typeof raw !== 'object') return {}
  return Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).filter(([, v]) => typeof v === 'string'),
  ) as Record<string, string>
}

/** Health rows saying every node, service and VM of the inventory is up (replays, plans). */
export function everythingUp(inventory: Inventory): HealthReading[] {
  const { config } = inventory
  return [
    ...config.nodes.map((n) => ({ target: n.name, kind: 'node', state: 'up' })),
    ...config.services.map((s) => ({ target: s.name, kind: 'service', state: 'up' })),
    ...config.vms.map((v) => ({ target: v.name, kind: 'vm', state: 'up' })),
    ...config.storage.map((s) => ({
      target: `storage/${s.name}`,
      kind: 'storage',
      state: 'up',
      detail:
        s.kind === 'gfs'
          ? { mounts: Object.fromEntries(s.mounted_by.map((n) => [n, 'mounted'])) }
          : null,
    })),
  ]
}

/** The `event` CEL sees; whole numbers in the payload become CEL ints. */
export function eventView(event: TandemEvent): EventView {
  return new EventView(
    event.type,
    event.subject,
    BigInt(event.at),
    event.labels,
    celValue(event.payload, 0) as Record<string, unknown>,
  )
}

/** A CEL result as plain JSON-like data: ints become numbers, views become objects. */
export function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      throw new RangeError(`integer ${value} is too large`)
    return Number(value)
  }
  if (Array.isArray(value)) return value.map(plainValue)
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([k, v]) => [String(k), plainValue(v)]))
  if (value && typeof value === 'object') {
    if (value instanceof Uint8Array || value instanceof Date || !isPlainish(value))
      throw new TypeError(`a ${value.constructor?.name ?? 'value'} cannot be an action input`)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]))
  }
  return value
}

function isPlainish(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return (
    proto === Object.prototype ||
    proto === null ||
    Object.values(VIEW_TYPES).some((t) => value instanceof t.ctor)
  )
}

function celValue(value: unknown, depth: number): unknown {
  if (depth > 20) return null
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  if (Array.isArray(value)) return value.map((v) => celValue(v, depth + 1))
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, celValue(v, depth + 1)]))
  return value
}
