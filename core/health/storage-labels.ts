// The `storage` label: which shared storage a check or service stands on, so its alerts can be told
// under their storage cause (a dead export's incident covers the GFS mounts and services on it).
import type { Inventory } from '../inventory/index.ts'
import type { LiveFacts } from '../plugin/index.ts'

/**
 * The storage a check's own facts are about, as roots (see storageLabelOfService): an exports
 * probe's exports, a mounts probe's volumes by the export each sits on. Undefined when the facts
 * say nothing of storage. Learned from the facts, not from the probe's kind, so any plugin's
 * storage probe is labelled; a check keeps its label when a later result (a timeout) has none.
 *
 * @example
 * storageLabelOfFacts(inv, { mounts: { 'gfs-data/node1': m } }) // 'data-export'
 */
export function storageLabelOfFacts(inv: Inventory, facts: LiveFacts): string | undefined {
  const exports = Object.keys(facts.exports ?? {}).flatMap((name) => rootsOf(inv, name))
  const volumes = Object.keys(facts.mounts ?? {}).flatMap((key) =>
    rootsOf(inv, key.slice(0, key.lastIndexOf('/'))),
  )
  return joined([...exports, ...volumes])
}

/**
 * The roots of the storage a service's data lives on, comma-joined and sorted: the GNBD/NBD
 * exports under its GFS volumes (a volume on the node's own device is its own root). Decided by
 * the inventory, not by live state, so a service check that fails before the export's own
 * check carries it all the same.
 *
 * @example
 * storageLabelOfService(inv, 'db') // 'data-export'
 */
export function storageLabelOfService(inv: Inventory, service: string): string | undefined {
  return joined((inv.service(service)?.storage ?? []).flatMap((name) => rootsOf(inv, name)))
}

/** A GFS volume stands on its export; an export (or a volume on a local device) on itself. */
function rootsOf(inv: Inventory, name: string): string[] {
  const entry = inv.storage(name)
  if (!entry) return []
  return entry.kind === 'gfs' && entry.on !== undefined ? [entry.on] : [name]
}

function joined(names: string[]): string | undefined {
  return names.length > 0 ? [...new Set(names)].sort().join(',') : undefined
}
