// The argv of every storage command, built in one place from the inventory (never a shell string).
import type { PlannedCommand } from '../../core/plugin/index.ts'
import type { StorageConfig } from './config.ts'
import { type BlockExport, type GfsVolume, volumeDevice } from './volumes.ts'

/** `mount -t gfs2 [-o opts] DEVICE MOUNTPOINT` on the node, with the inventory's options. */
export function mountCommand(
  config: StorageConfig,
  volume: GfsVolume,
  exp: BlockExport | undefined,
  node: string,
): PlannedCommand {
  const options = volume.options.length ? ['-o', volume.options.join(',')] : []
  return {
    argv: [
      config.mount,
      '-t',
      volume.fstype,
      ...options,
      volumeDevice(volume, exp),
      volume.mountpoint,
    ],
    node,
    note: `mount ${volume.name} on ${node}`,
  }
}

export function unmountCommand(config: StorageConfig, volume: GfsVolume, node: string) {
  return {
    argv: [config.umount, volume.mountpoint],
    node,
    note: `unmount ${volume.name} on ${node}`,
  }
}

/** fsck.gfs2 -y (gfs_fsck -y for GFS): repairs without asking; only with no node mounting it. */
export function fsckCommand(
  config: StorageConfig,
  volume: GfsVolume,
  exp: BlockExport | undefined,
  node: string,
): PlannedCommand {
  const tool = volume.fstype === 'gfs2' ? config.fsck_gfs2 : config.fsck_gfs
  return {
    argv: [tool, '-y', volumeDevice(volume, exp)],
    node,
    note: `check ${volume.name} from ${node} (every node has it unmounted)`,
  }
}

/** gnbd_import -i SERVER imports every export of the server; nbd-client attaches one. */
export function importCommand(
  config: StorageConfig,
  exp: BlockExport,
  node: string,
  address: string,
): PlannedCommand {
  const argv =
    exp.kind === 'gnbd'
      ? [config.gnbd_import, '-i', address]
      : [config.nbd_client, '-N', exp.export, address, String(exp.port), exp.import_device]
  return { argv, node, note: `import ${exp.name} on ${node}` }
}

export function unimportCommand(config: StorageConfig, exp: BlockExport, node: string) {
  const argv =
    exp.kind === 'gnbd'
      ? [config.gnbd_import, '-r', exp.export]
      : [config.nbd_client, '-d', exp.import_device]
  return { argv, node, note: `release ${exp.name} on ${node}` }
}

/** gnbd_export -d DEVICE -e NAME; nbd-server -C CONFIG serves the exports its config names. */
export function exportCommand(config: StorageConfig, exp: BlockExport): PlannedCommand {
  const argv =
    exp.kind === 'gnbd'
      ? [config.gnbd_export, '-d', exp.device, '-e', exp.export]
      : [config.nbd_server, '-C', config.nbd_server_config]
  return { argv, node: exp.server, note: `export ${exp.name} from ${exp.server}` }
}

export function unexportCommand(config: StorageConfig, exp: BlockExport): PlannedCommand {
  return {
    argv: [config.gnbd_export, '-r', exp.export],
    node: exp.server,
    note: `stop exporting ${exp.name} from ${exp.server}`,
  }
}
