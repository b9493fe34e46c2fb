// Reads the storage world back: what a node mounts and imports, and whether a server still exports.
import {
  type CommandSpec,
  type PluginContext,
  PluginError,
  toolOutput,
  unreachable,
} from '../../core/plugin/index.ts'
import type { StorageConfig } from './config.ts'
import {
  type GnbdImport,
  gfs2Sysfs,
  parseGnbdExportList,
  parseGnbdImportList,
  parseGrepFiles,
  parseMountInfo,
  parseNbdList,
  parseProcMounts,
} from './parse.ts'
import {
  allExports,
  type BlockExport,
  exportOf,
  type GfsVolume,
  importedDevice,
  serverAddress,
  volumesOf,
} from './volumes.ts'

type Ctx = PluginContext<StorageConfig>

/** A GFS volume on one node, as the kernel says. */
export type MountState = 'mounted' | 'readonly' | 'withdrawn' | 'missing' | 'unreachable'
/** An export's device on an importing node. */
/** `local`: the volume is on a block device of the node's own (`device:`), nothing imported. */
export type ImportState = 'imported' | 'disconnected' | 'missing' | 'unreachable' | 'local'
/** An export on its server: listed by the server, not listed, server not serving, no answer. */
export type ExportState = 'exported' | 'missing' | 'down' | 'unreachable'

export interface MountView {
  volume: string
  node: string
  state: MountState
  device?: string
  options?: string[]
  /** lock_module/proto_name, and the lock table (fsname) from sysfs. */
  proto?: string
  table?: string
  /** The export under it, as imported on this node. */
  importState: ImportState
  /** The imported device's size in 512-byte sectors, when the kernel says. */
  sectors?: number
  detail: string
}

export interface ExportView {
  export: string
  server: string
  kind: 'gnbd' | 'nbd'
  state: ExportState
  sectors?: number
  detail: string
}

/** Every GFS volume the node mounts, with the state of its mount and of the import under it. */
export async function readNode(ctx: Ctx, node: string): Promise<MountView[]> {
  const volumes = volumesOf(ctx.inventory, node)
  if (volumes.length === 0) return []
  const exports = unique(
    volumes.flatMap((v) => {
      const exp = exportOf(ctx.inventory, v)
      return exp ? [exp] : []
    }),
  )
  const nbdPaths = exports
    .filter((e) => e.kind === 'nbd')
    .flatMap((e) => {
      const dev = importedDevice(e).slice('/dev/'.length)
      return [`/sys/block/${dev}/pid`, `/sys/block/${dev}/size`]
    })
  // Both reads at once: over ssh each costs a connection, and a probe has one interval.
  const [files, gnbd] = await Promise.all([
    run(ctx, {
      argv: [
        ctx.config.grep,
        '-rsH',
        '',
        '/proc/mounts',
        '/proc/self/mountinfo',
        '/sys/fs/gfs2',
        '/sys/fs/gfs',
        ...nbdPaths,
      ],
      node,
    }),
    exports.some((e) => e.kind === 'gnbd') ? gnbdImports(ctx, node) : [],
  ])
  if (files === 'unreachable') return volumes.map((v) => unreachableMount(v, node))
  const map = parseGrepFiles(files.stdout)
  if (!map.has('/proc/mounts'))
    throw new PluginError('storage', 'READ_FAILED', toolOutput(files) || 'no /proc/mounts', {
      exitCode: files.code,
      context: `read mounts on ${node}`,
    })
  const mounts = parseProcMounts((map.get('/proc/mounts') ?? []).join('\n'))
  const devices = parseMountInfo((map.get('/proc/self/mountinfo') ?? []).join('\n'))
  const sysfs = [...gfs2Sysfs(map), ...gfs2Sysfs(map, '/sys/fs/gfs')]
  return volumes.map((volume) => {
    const exp = exportOf(ctx.inventory, volume)
    const imported = importOf(exp, map, gnbd)
    const entry = mounts.find((m) => m.mountpoint === volume.mountpoint && /^gfs2?$/.test(m.fstype))
    const base = {
      volume: volume.name,
      node,
      importState: imported.state,
      sectors: imported.sectors,
    }
    if (!entry) return { ...base, state: 'missing', detail: `${volume.mountpoint} is not mounted` }
    const kernelName = imported.kernelName ?? entry.device.split('/').pop()
    const majorMinor = devices.get(volume.mountpoint)
    const fs =
      (majorMinor ? sysfs.find((s) => s.id === majorMinor) : undefined) ??
      sysfs.find((s) => s.id === kernelName) ??
      sysfs.find((s) => s.id === entry.device.split('/').pop()) ??
      (sysfs.length === 1 ? sysfs[0] : undefined)
    const readOnly = entry.options.includes('ro')
    const state: MountState = fs?.withdrawn ? 'withdrawn' : readOnly ? 'readonly' : 'mounted'
    return {
      ...base,
      state,
      device: entry.device,
      options: entry.options,
      ...(fs?.proto ? { proto: fs.proto } : {}),
      ...(fs?.fsname ? { table: fs.fsname } : {}),
      detail: `${volume.mountpoint} ${state} (${entry.fstype} on ${entry.device}${fs?.fsname ? `, table ${fs.fsname}` : ''})`,
    } satisfies MountView
  })
}

/** Whether the export's server lists it now. GNBD asks the server; NBD asks as a client would. */
export async function readExport(ctx: Ctx, exp: BlockExport): Promise<ExportView> {
  const base = { export: exp.name, server: exp.server, kind: exp.kind }
  if (exp.kind === 'gnbd') {
    const result = await run(ctx, { argv: [ctx.config.gnbd_export, '-l'], node: exp.server })
    if (result === 'unreachable')
      return { ...base, state: 'unreachable', detail: `${exp.server} does not answer` }
    if (result.code !== 0)
      return { ...base, state: 'down', detail: toolOutput(result) || `exit ${result.code}` }
    const found = parseGnbdExportList(result.stdout).find((e) => e.name === exp.export)
    return found
      ? {
          ...base,
          state: 'exported',
          sectors: found.sectors,
          detail: `${exp.export} exported from ${found.file}`,
        }
      : { ...base, state: 'missing', detail: `${exp.server} does not export ${exp.export}` }
  }
  const result = await run(ctx, {
    argv: [ctx.config.nbd_client, '-l', serverAddress(ctx.inventory, exp), String(exp.port)],
  })
  if (result === 'unreachable')
    return { ...base, state: 'unreachable', detail: `${exp.server} does not answer` }
  // nbd-server refuses NBD_OPT_LIST unless its config allows it: say how to watch it.
  if (result.code !== 0 && /listing not allowed/i.test(toolOutput(result)))
    return {
      ...base,
      state: 'down',
      detail: `${exp.server}:${exp.port} refuses to list its exports: set "allowlist = true" in nbd-server's [generic]`,
    }
  if (result.code !== 0)
    return { ...base, state: 'down', detail: toolOutput(result) || `exit ${result.code}` }
  return parseNbdList(result.stdout).includes(exp.export)
    ? { ...base, state: 'exported', detail: `${exp.export} listed by ${exp.server}:${exp.port}` }
    : { ...base, state: 'missing', detail: `${exp.server}:${exp.port} does not list ${exp.export}` }
}

export async function readExports(ctx: Ctx, names?: string[]): Promise<ExportView[]> {
  const exports = allExports(ctx.inventory).filter((e) => !names || names.includes(e.name))
  return Promise.all(exports.map((e) => readExport(ctx, e)))
}

/** One node's view of one volume (the other volumes it mounts are read too, and dropped). */
export async function readMount(ctx: Ctx, volume: GfsVolume, node: string): Promise<MountView> {
  const view = (await readNode(ctx, node)).find((m) => m.volume === volume.name)
  if (!view)
    throw new PluginError('storage', 'NOT_A_MOUNTER', `${node} does not mount ${volume.name}`)
  return view
}

/** Runs a read; an ssh failure is 'unreachable', a timeout a typed error. */
export async function run(ctx: Ctx, spec: CommandSpec) {
  const result = await ctx.runner.run({ timeoutMs: ctx.config.read_timeout, ...spec })
  if (result.timedOut)
    throw new PluginError('storage', 'TIMEOUT', `${spec.argv[0]} timed out`, {
      context: spec.node ? `on ${spec.node}` : 'locally',
    })
  return unreachable(result) ? ('unreachable' as const) : result
}

async function gnbdImports(ctx: Ctx, node: string): Promise<GnbdImport[]> {
  const result = await run(ctx, { argv: [ctx.config.gnbd_import, '-l'], node })
  if (result === 'unreachable' || result.code !== 0) return []
  return parseGnbdImportList(result.stdout)
}

function importOf(
  exp: BlockExport | undefined,
  files: Map<string, string[]>,
  gnbd: GnbdImport[],
): { state: ImportState; sectors?: number; kernelName?: string } {
  if (!exp) return { state: 'local' }
  if (exp.kind === 'gnbd') {
    const found = gnbd.find((g) => g.name === exp.export)
    if (!found) return { state: 'missing' }
    return {
      state: found.connected ? 'imported' : 'disconnected',
      sectors: found.sectors,
      kernelName: found.kernelName,
    }
  }
  const dev = importedDevice(exp).slice('/dev/'.length)
  const pid = (files.get(`/sys/block/${dev}/pid`) ?? [])[0]?.trim()
  const size = Number((files.get(`/sys/block/${dev}/size`) ?? [])[0]?.trim() ?? 0)
  // The kernel creates `pid` while a client holds the device connected, and drops it after.
  if (!pid) return { state: 'missing', kernelName: dev }
  return { state: size > 0 ? 'imported' : 'disconnected', sectors: size, kernelName: dev }
}

function unreachableMount(volume: GfsVolume, node: string): MountView {
  return {
    volume: volume.name,
    node,
    state: 'unreachable',
    importState: 'unreachable',
    detail: `${node} does not answer`,
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)]
}
