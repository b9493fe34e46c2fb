// mount and unmount a GFS volume on one node, checked against /proc/mounts before and after.
import {
  defineAction,
  Name,
  type PluginContext,
  PluginError,
  toolOutput,
  z,
} from '../../../core/plugin/index.ts'
import { mountCommand, unmountCommand } from '../commands.ts'
import type { StorageConfig } from '../config.ts'
import { readMount, run } from '../read.ts'
import { exportOf, gfsVolume } from '../volumes.ts'

type Ctx = PluginContext<StorageConfig>
export const VolumeOnNode = z.strictObject({ volume: Name, node: Name })
type Input = z.output<typeof VolumeOnNode>

export const mount = defineAction<typeof VolumeOnNode, StorageConfig>({
  description: 'mount a GFS volume on a node with the inventory’s options (nothing if mounted)',
  input: VolumeOnNode,
  idempotent: true, // it reads /proc/mounts first: a mounted volume is left alone
  destructive: false,
  scope: 'operate',
  target: (input) => `node/${input.node}/storage/${input.volume}`,
  describe: (input, ctx) => {
    const volume = gfsVolume(ctx.inventory, input.volume)
    return [mountCommand(ctx.config, volume, exportOf(ctx.inventory, volume), input.node)]
  },
  async run(input, ctx) {
    const volume = gfsVolume(ctx.inventory, input.volume)
    const before = await readMount(ctx, volume, input.node)
    if (before.state === 'mounted')
      return { summary: `${volume.name} already mounted on ${input.node}` }
    if (before.state === 'withdrawn')
      throw new PluginError(
        'storage',
        'WITHDRAWN',
        `${volume.name} is withdrawn on ${input.node}: recover it (storage.recover_withdrawn), do not mount over it`,
      )
    const command = mountCommand(ctx.config, volume, exportOf(ctx.inventory, volume), input.node)
    await runOrThrow(ctx, command.argv, input.node, 'MOUNT_FAILED', ctx.config.mount_timeout)
    return { summary: `${volume.name} mounted on ${input.node}`, commands: [command] }
  },
  verify: (input, ctx) => expectState(ctx, input, ['mounted']),
})

export const unmount = defineAction<typeof VolumeOnNode, StorageConfig>({
  description: 'unmount a GFS volume on a node (whatever uses it there must be stopped first)',
  input: VolumeOnNode,
  idempotent: true, // an unmounted volume is left alone
  destructive: true, // services on that node lose their data
  // Takes the node's workloads off their data, like moving them off the node.
  scope: 'fence',
  target: (input) => `node/${input.node}/storage/${input.volume}`,
  describe: (input, ctx) => [
    unmountCommand(ctx.config, gfsVolume(ctx.inventory, input.volume), input.node),
  ],
  async run(input, ctx) {
    const volume = gfsVolume(ctx.inventory, input.volume)
    const before = await readMount(ctx, volume, input.node)
    if (before.state === 'missing')
      return { summary: `${volume.name} is not mounted on ${input.node}` }
    const command = unmountCommand(ctx.config, volume, input.node)
    await runOrThrow(ctx, command.argv, input.node, 'UNMOUNT_FAILED', ctx.config.mount_timeout)
    return { summary: `${volume.name} unmounted on ${input.node}`, commands: [command] }
  },
  verify: (input, ctx) => expectState(ctx, input, ['missing']),
})

/** Runs one command on a node; a refusal keeps the tool's words. */
export async function runOrThrow(
  ctx: Ctx,
  argv: string[],
  node: string | undefined,
  kind: string,
  timeoutMs: number,
) {
  const result = await run(ctx, { argv, ...(node ? { node } : {}), timeoutMs })
  if (result === 'unreachable')
    throw new PluginError('storage', 'HOST_UNREACHABLE', `${node} does not answer`, {
      context: argv[0],
    })
  if (result.code !== 0)
    throw new PluginError('storage', kind, toolOutput(result) || `exit ${result.code}`, {
      exitCode: result.code,
      context: `${argv[0]} on ${node ?? 'this host'}`,
    })
  return result
}

export async function expectState(ctx: Ctx, input: Input, want: string[]) {
  const view = await readMount(ctx, gfsVolume(ctx.inventory, input.volume), input.node)
  return { ok: want.includes(view.state), detail: `${input.node}: ${view.detail}` }
}
