// The storage rule of placement: a service on GFS starts only on a node that mounts every one of
// its volumes, healthy, on a live export (DESIGN: no relocation of a storage user onto a blind node).
import { inArray } from 'drizzle-orm'
import type { Inventory } from '../inventory/index.ts'
import { healthStates } from '../store/index.ts'
import type { Tx } from './journal.ts'

/** Imports a service can run on: an attached export, or a device of the node's own. */
const USABLE_IMPORTS = ['imported', 'local']

type Service = Inventory['config']['services'][number]
type Volume = Extract<Inventory['config']['storage'][number], { kind: 'gfs' }>

/**
 * Why `node` cannot run `service` for its GFS volumes, or undefined when it can. The inventory
 * decides first (a node outside `mounted_by` never mounts the volume); then the storage health
 * rows, when a probe has reported on that node: withdrawn, missing, read-only or unreachable
 * mounts, a detached import, or an export that is down all refuse. With no report yet tandem
 * cannot tell, and lets the cluster manager try (as `health.storage_ready` does).
 *
 * @example
 * await storageBlindness(tx, inventory, 'db', 'node3') // 'gfs-data on node3 is withdrawn …'
 */
export async function storageBlindness(
  tx: Tx,
  inventory: Inventory,
  serviceName: string,
  node: string,
): Promise<string | undefined> {
  const service = inventoryService(inventory, serviceName)
  if (!service) return undefined
  const volumes = service.storage
    .map((name) => inventory.storage(name))
    .filter((v): v is Volume => v?.kind === 'gfs')
  if (volumes.length === 0) return undefined
  for (const volume of volumes)
    if (!volume.mounted_by.includes(node))
      return `${node} does not mount ${volume.name} (mounted_by: ${volume.mounted_by.join(', ')}): ${service.name} cannot run there`
  const rows = await tx
    .select({ target: healthStates.target, state: healthStates.state, detail: healthStates.detail })
    .from(healthStates)
    .where(
      inArray(
        healthStates.target,
        volumes.map((v) => `storage/${v.name}`),
      ),
    )
  for (const volume of volumes) {
    const row = rows.find((r) => r.target === `storage/${volume.name}`)
    if (!row || row.state === 'unknown') continue
    const why = blindness(volume, node, row.detail ?? {})
    if (why) return `${why}: ${service.name} cannot start there`
  }
  return undefined
}

function blindness(volume: Volume, node: string, detail: Record<string, unknown>) {
  if (typeof detail.cause === 'string')
    return `${volume.name} is cut off on every node: its export ${detail.cause} is down`
  const mount = (detail.mounts as Record<string, string> | undefined)?.[node]
  const imported = (detail.imports as Record<string, string> | undefined)?.[node]
  if (mount === undefined) return undefined
  if (mount !== 'mounted') return `${volume.name} on ${node} is ${mount}`
  if (!USABLE_IMPORTS.includes(imported ?? ''))
    return `${volume.name} on ${node} is mounted on a ${imported ?? 'missing'} import`
  return undefined
}

/** The inventory service by its name, or by its cluster manager's name for it (`service:db`). */
function inventoryService(inventory: Inventory, name: string): Service | undefined {
  const bare = name.replace(/^service:/, '')
  return (
    inventory.service(bare) ??
    inventory.config.services.find((s) => {
      const rg = s.cluster?.rgmanager?.service?.replace(/^service:/, '')
      return rg === bare || s.cluster?.pacemaker?.resource === name
    })
  )
}
