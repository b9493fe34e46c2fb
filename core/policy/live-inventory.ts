// Where guests run, as policies see it: the probe's live word over the inventory's declared host.
import type { HealthReading } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import { type GuestHost, type HealthView, InventoryView, NodeView, VmView } from './view-types.ts'

/**
 * Each VM's node: the host the `xen.domains` probe saw running it; while that host does not
 * answer (or the guest runs on several), the last host seen running it alone; `""` when every
 * host answered and none runs it. Without a probe row for it: its declared `host`.
 *
 * @example
 * guestHosts(rows, inv).guest1 // { node: 'node3', source: 'probe' } after `xl migrate guest1 node3`
 */
export function guestHosts(
  rows: readonly HealthReading[],
  inv: Inventory,
): Record<string, GuestHost> {
  const out: Record<string, GuestHost> = Object.fromEntries(
    inv.config.vms.map((vm) => [vm.name, { node: vm.host, source: 'declared' as const }]),
  )
  for (const row of rows) {
    if (row.kind !== 'vm' || !row.detail) continue
    const name = row.target.replace(/^vm\//, '')
    const live = liveNode(row.detail)
    if (name in out && live !== undefined) out[name] = { node: live, source: 'probe' }
  }
  return out
}

/**
 * The inventory view with `nodes[n].guests` and `vms[v].host` where the guests run now (the
 * health view's `vmHosts`). The same view when nothing moved, so a steady fleet pays nothing.
 *
 * @example
 * liveInventory(inventoryView(inv), health).nodes.node3.guests // ['guest1'] after a migration
 */
export function liveInventory(base: InventoryView, health: HealthView): InventoryView {
  const moved = Object.entries(health.vmHosts).filter(
    ([vm, { node }]) => base.vms[vm] && base.vms[vm].host !== node,
  )
  if (moved.length === 0) return base
  const vms = { ...base.vms }
  for (const [name, { node }] of moved) {
    const v = vms[name]!
    vms[name] = new VmView(
      v.name,
      node,
      v.toolstack,
      v.live_migrate,
      v.memory_mib,
      v.preferred,
      v.labels,
    )
  }
  const guests = new Map<string, string[]>()
  for (const vm of Object.values(vms))
    guests.set(vm.host, [...(guests.get(vm.host) ?? []), vm.name])
  const nodes: Record<string, NodeView> = {}
  for (const [name, n] of Object.entries(base.nodes))
    nodes[name] = new NodeView(
      n.name,
      n.address,
      n.roles,
      n.labels,
      n.depends_on,
      guests.get(name) ?? [],
      n.real_servers,
      n.cluster_services,
    )
  return new InventoryView(nodes, base.services, vms, base.cluster_name, base.cluster_manager)
}

/** The node a probe row puts the guest on; undefined when the row says nothing usable. */
function liveNode(detail: Record<string, unknown>): string | undefined {
  const { host, hosts, domain, lastHost } = detail
  if (typeof host === 'string') return host
  if (host !== null || !Array.isArray(hosts)) return undefined
  // Its host went dark (or it runs twice): it is still the last host's guest, to fence and recover.
  if (domain === 'unreachable' || hosts.length > 1)
    return typeof lastHost === 'string' ? lastHost : undefined
  return ''
}
