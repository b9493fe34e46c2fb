// The inventory's storage as the plugin needs it: GFS volumes, the export under each, imported devices.
import { type Inventory, PluginError } from '../../core/plugin/index.ts'

type Storage = Inventory['config']['storage'][number]
export type GfsVolume = Extract<Storage, { kind: 'gfs' }>
export type BlockExport = Extract<Storage, { kind: 'gnbd' | 'nbd' }>

/** A GFS volume by name, or a typed error naming what the inventory has. */
export function gfsVolume(inventory: Inventory, name: string): GfsVolume {
  const found = inventory.storage(name)
  if (found?.kind === 'gfs') return found
  throw new PluginError(
    'storage',
    'NO_SUCH_VOLUME',
    `no GFS volume named "${name}" in the inventory (have: ${names(inventory, 'gfs') || 'none'})`,
  )
}

/** A GNBD or NBD export by name. */
export function blockExport(inventory: Inventory, name: string): BlockExport {
  const found = inventory.storage(name)
  if (found && found.kind !== 'gfs') return found
  throw new PluginError(
    'storage',
    'NO_SUCH_EXPORT',
    `no GNBD or NBD export named "${name}" in the inventory (have: ${names(inventory, 'export') || 'none'})`,
  )
}

/**
 * The export a volume sits on (validated by the inventory's cross-references), or none for a
 * volume on a block device of the nodes' own (SAN, iSCSI, clustered LVM: `device:`).
 */
export function exportOf(inventory: Inventory, volume: GfsVolume): BlockExport | undefined {
  return volume.on === undefined ? undefined : blockExport(inventory, volume.on)
}

/** The block device a node mounts the volume from: the imported export, or its own device. */
export function volumeDevice(volume: GfsVolume, exp: BlockExport | undefined): string {
  return exp ? importedDevice(exp) : (volume.device ?? '')
}

/** Every GFS volume and every export. */
export function allVolumes(inventory: Inventory): GfsVolume[] {
  return inventory.config.storage.filter((s): s is GfsVolume => s.kind === 'gfs')
}

export function allExports(inventory: Inventory): BlockExport[] {
  return inventory.config.storage.filter((s): s is BlockExport => s.kind !== 'gfs')
}

/** Volumes a node mounts, and the exports it must import for them. */
export function volumesOf(inventory: Inventory, node: string): GfsVolume[] {
  return allVolumes(inventory).filter((v) => v.mounted_by.includes(node))
}

/**
 * The path of an export's device on an importing node: `/dev/gnbd/<export>` (gnbd_import makes
 * it), or the inventory's NBD device.
 */
export function importedDevice(exp: BlockExport): string {
  return exp.kind === 'gnbd' ? `/dev/gnbd/${exp.export}` : exp.import_device
}

/** The storage server's address (nbd-client and gnbd_import take a host). */
export function serverAddress(inventory: Inventory, exp: BlockExport): string {
  return inventory.node(exp.server)?.address ?? exp.server
}

function names(inventory: Inventory, kind: 'gfs' | 'export'): string {
  return inventory.config.storage
    .filter((s) => (kind === 'gfs' ? s.kind === 'gfs' : s.kind !== 'gfs'))
    .map((s) => s.name)
    .join(', ')
}
