// @ts-check
// The lab's shared storage: GNBD exports on their servers, imports and GFS mounts on each node,
// and the /proc and /sys files a node's kernel would show for them (read by the lab's grep).
import { findNode, reachable } from './reach.mjs'

/**
 * @typedef {{ device: string, sectors: number, readonly?: boolean }} LabExport
 * @typedef {{ server: string, minor: number }} LabImport
 * @typedef {{ device: string, fstype: string, options: string[], table: string, proto: string, withdrawn?: boolean }} LabMount
 * @typedef {{ imports: Record<string, LabImport>, mounts: Record<string, LabMount> }} LabNodeStorage
 * @typedef {{ exports: Record<string, Record<string, LabExport>>, nodes: Record<string, LabNodeStorage> }} LabStorage
 * @typedef {import('./world.mjs').World} World
 */

/** The storage section of the world, created empty when the world has none. @param {World} world */
export function storageOf(world) {
  world.storage ??= { exports: {}, nodes: {} }
  return /** @type {LabStorage} */ (world.storage)
}

/** @param {LabStorage} storage @param {string} node */
export function nodeStorage(storage, node) {
  storage.nodes[node] ??= { imports: {}, mounts: {} }
  return /** @type {LabNodeStorage} */ (storage.nodes[node])
}

/**
 * Whether an imported GNBD device is connected: its server answers, still exports it, and has not
 * cut this node off (fence_gnbd's ban list in `fence.gnbd[server]`).
 * @param {World} world @param {string} node @param {string} name @param {LabImport} imp
 */
export function importConnected(world, node, name, imp) {
  const server = findNode(world, imp.server)
  if (!server || !reachable(server[1])) return false
  if (!storageOf(world).exports[server[0]]?.[name]) return false
  const fence = /** @type {{ gnbd?: Record<string, string[]> } | undefined} */ (world.fence)
  return !(fence?.gnbd?.[server[0]] ?? []).includes(node)
}

/**
 * The files a node's kernel shows: /proc/mounts and the GFS2 sysfs attributes tandem reads.
 * @param {World} world @param {string} node
 * @returns {Map<string, string>} path → content
 */
export function nodeFiles(world, node) {
  const mine = nodeStorage(storageOf(world), node)
  const files = new Map()
  const mounts = [
    'sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0',
    'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
    '/dev/sda1 / ext4 rw,relatime 0 0',
  ]
  const mountinfo = [
    '22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
    '23 1 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw',
    '1 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  ]
  for (const [i, [mountpoint, m]] of Object.entries(mine.mounts).entries()) {
    // A withdrawn GFS2 turns its superblock read-only, which /proc/mounts shows (checked on
    // Linux 6.1 in test/storage/kernel.test.ts).
    const options = m.withdrawn ? ['ro', ...m.options.filter((o) => o !== 'rw')] : m.options
    const escaped = mountpoint.replaceAll(' ', '\\040')
    mounts.push(`${m.device} ${escaped} ${m.fstype} ${options.join(',')} 0 0`)
    const name = m.device.split('/').pop() ?? ''
    const minor = mine.imports[name]?.minor
    // GNBD took a dynamic block major (252 here); a SAN device is a SCSI disk's partition.
    const device = minor === undefined ? `8:${17 + i}` : `252:${minor}`
    const [vfs = 'rw', ...superOptions] = options
    mountinfo.push(
      `${40 + i} 1 ${device} / ${escaped} ${vfs} - ${m.fstype} ${m.device} ${[vfs, ...superOptions].join(',')}`,
    )
    const dir = `/sys/fs/${m.fstype}/${m.table.replace('/', ':')}`
    // fs/gfs2/sys.c id_show on current kernels: the device's major:minor.
    files.set(`${dir}/id`, `${device}\n`)
    files.set(`${dir}/fsname`, `${m.table}\n`)
    files.set(`${dir}/withdraw`, m.withdrawn ? '1\n' : '0\n')
    files.set(`${dir}/lock_module/proto_name`, `${m.proto}\n`)
  }
  files.set('/proc/mounts', `${mounts.join('\n')}\n`)
  files.set('/proc/self/mountinfo', `${mountinfo.join('\n')}\n`)
  return files
}
