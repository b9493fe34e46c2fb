// Import an export on a node (gnbd_import -i / nbd-client), and export one from its server.
import { defineAction, Name, PluginError, z } from '../../../core/plugin/index.ts'
import { exportCommand, importCommand, unexportCommand } from '../commands.ts'
import type { StorageConfig } from '../config.ts'
import { readExport, readNode } from '../read.ts'
import { blockExport, serverAddress, volumesOf } from '../volumes.ts'
import { runOrThrow } from './mounts.ts'

const ExportOnNode = z.strictObject({ export: Name, node: Name })
const ExportOnly = z.strictObject({ export: Name })

export const importExport = defineAction<typeof ExportOnNode, StorageConfig>({
  description: 'import a GNBD or NBD export on a node (nothing if its device is already there)',
  input: ExportOnNode,
  idempotent: true,
  destructive: false,
  scope: 'operate',
  target: (input) => `node/${input.node}/storage/${input.export}`,
  describe: (input, ctx) => {
    const exp = blockExport(ctx.inventory, input.export)
    return [importCommand(ctx.config, exp, input.node, serverAddress(ctx.inventory, exp))]
  },
  async run(input, ctx) {
    const exp = blockExport(ctx.inventory, input.export)
    if ((await importState(ctx, input)) === 'imported')
      return { summary: `${exp.name} already imported on ${input.node}` }
    const command = importCommand(ctx.config, exp, input.node, serverAddress(ctx.inventory, exp))
    await runOrThrow(ctx, command.argv, input.node, 'IMPORT_FAILED', ctx.config.mount_timeout)
    return { summary: `${exp.name} imported on ${input.node}`, commands: [command] }
  },
  async verify(input, ctx) {
    const state = await importState(ctx, input)
    return { ok: state === 'imported', detail: `${input.export} on ${input.node}: ${state}` }
  },
})

export const exportDevice = defineAction<typeof ExportOnly, StorageConfig>({
  description:
    'export a device from its storage server (gnbd_export -d -e; NBD: start nbd-server on its config)',
  input: ExportOnly,
  idempotent: true,
  destructive: false,
  scope: 'operate',
  target: (input) => `storage/${input.export}`,
  describe: (input, ctx) => [exportCommand(ctx.config, blockExport(ctx.inventory, input.export))],
  async run(input, ctx) {
    const exp = blockExport(ctx.inventory, input.export)
    if ((await readExport(ctx, exp)).state === 'exported')
      return { summary: `${exp.name} already exported by ${exp.server}` }
    const command = exportCommand(ctx.config, exp)
    await runOrThrow(ctx, command.argv, exp.server, 'EXPORT_FAILED', ctx.config.mount_timeout)
    return { summary: `${exp.name} exported by ${exp.server}`, commands: [command] }
  },
  async verify(input, ctx) {
    const view = await readExport(ctx, blockExport(ctx.inventory, input.export))
    return { ok: view.state === 'exported', detail: view.detail }
  },
})

export const unexportDevice = defineAction<typeof ExportOnly, StorageConfig>({
  description:
    'stop exporting a GNBD device (gnbd_export -r); refused while a node still mounts GFS on it',
  input: ExportOnly,
  idempotent: true,
  destructive: true, // every importer loses the device
  // Takes storage away from every node at once: as grave as fencing them.
  scope: 'fence',
  target: (input) => `storage/${input.export}`,
  describe: (input, ctx) => [unexportCommand(ctx.config, blockExport(ctx.inventory, input.export))],
  async run(input, ctx) {
    const exp = blockExport(ctx.inventory, input.export)
    if (exp.kind !== 'gnbd')
      throw new PluginError(
        'storage',
        'UNSUPPORTED',
        `${exp.name} is NBD: nbd-server exports what its config says; edit ${ctx.config.nbd_server_config} and restart it`,
      )
    const before = await readExport(ctx, exp)
    // Only the server's own list says "not exported"; a tool that failed says nothing.
    if (before.state === 'missing')
      return { summary: `${exp.name} is not exported by ${exp.server}` }
    if (before.state !== 'exported')
      throw new PluginError('storage', 'UNEXPORT_FAILED', before.detail, {
        context: `gnbd_export -l on ${exp.server}`,
      })
    const command = unexportCommand(ctx.config, exp)
    await runOrThrow(ctx, command.argv, exp.server, 'UNEXPORT_FAILED', ctx.config.mount_timeout)
    return { summary: `${exp.name} no longer exported by ${exp.server}`, commands: [command] }
  },
  async verify(input, ctx) {
    const view = await readExport(ctx, blockExport(ctx.inventory, input.export))
    return { ok: view.state !== 'exported', detail: view.detail }
  },
})

async function importState(
  ctx: Parameters<typeof readNode>[0],
  input: { export: string; node: string },
) {
  const volume = volumesOf(ctx.inventory, input.node).find((v) => v.on === input.export)
  if (!volume)
    throw new PluginError(
      'storage',
      'NOT_A_MOUNTER',
      `${input.node} mounts no GFS volume on ${input.export} (inventory: storage[].mounted_by)`,
    )
  const views = await readNode(ctx, input.node)
  return views.find((v) => v.volume === volume.name)?.importState ?? 'missing'
}
