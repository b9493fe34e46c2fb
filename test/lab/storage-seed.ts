// The lab's storage at demo start (every export served, imported and mounted), and its edits.
import type { Config } from '../../core/inventory/index.ts'
import type { LabStorage } from './storage.mjs'
import type { World } from './world.mjs'

/** GNBD exports served by their servers; each GFS volume on one imported and mounted by its nodes. */
export function seedStorage(config: Config): LabStorage {
  const storage: LabStorage = { exports: {}, nodes: {} }
  for (const entry of config.storage) {
    if (entry.kind !== 'gnbd') continue
    storage.exports[entry.server] ??= {}
    storage.exports[entry.server]![entry.export] = { device: entry.device, sectors: 2097152 }
  }
  const cluster = config.cluster?.name ?? 'lab'
  for (const volume of config.storage) {
    if (volume.kind !== 'gfs') continue
    const exp = config.storage.find((s) => s.name === volume.on)
    if (exp?.kind !== 'gnbd') continue
    for (const node of volume.mounted_by) {
      storage.nodes[node] ??= { imports: {}, mounts: {} }
      const mine = storage.nodes[node]!
      mine.imports[exp.export] ??= { server: exp.server, minor: Object.keys(mine.imports).length }
      mine.mounts[volume.mountpoint] = {
        device: `/dev/gnbd/${exp.export}`,
        fstype: volume.fstype,
        options: ['rw', 'relatime', ...volume.options],
        table: `${cluster}:${exp.export}`,
        proto: volume.lock_proto,
      }
    }
  }
  return storage
}

/** Marks every GFS mount of `node` withdrawn; returns their mount points. */
export function withdraw(world: World, node: string): string[] {
  const storage = world.storage as LabStorage | undefined
  const mounts = storage?.nodes[node]?.mounts ?? {}
  for (const mount of Object.values(mounts)) mount.withdrawn = true
  return Object.keys(mounts)
}

/** `lab show` lines: exports by server, and each node's GFS mounts. */
export function describeStorage(world: World): string[] {
  const storage = world.storage as LabStorage | undefined
  if (!storage) return []
  const lines: string[] = []
  for (const [server, exports] of Object.entries(storage.exports))
    for (const [name, e] of Object.entries(exports))
      lines.push(`export ${name.padEnd(9)} on ${server} (${e.device})`)
  for (const [node, mine] of Object.entries(storage.nodes))
    for (const [dir, m] of Object.entries(mine.mounts))
      lines.push(`gfs ${dir.padEnd(12)} on ${node} ${m.withdrawn ? '(WITHDRAWN)' : '(mounted)'}`)
  return lines
}
