// Withdraw recovery on one node: unmount, fsck only when the step asks (and no node mounts it), remount.
import { defineAction, Name, PluginError, z } from '../../../core/plugin/index.ts'
import { fsckCommand, mountCommand, unmountCommand } from '../commands.ts'
import type { StorageConfig } from '../config.ts'
import { readMount, type readNode } from '../read.ts'
import { exportOf, gfsVolume } from '../volumes.ts'
import { expectState, runOrThrow } from './mounts.ts'

const RecoverInput = z.strictObject({
  volume: Name,
  node: Name,
  /** Run fsck.gfs2 -y between unmount and mount: only safe with the volume unmounted everywhere. */
  fsck: z.boolean().default(false),
})

export const recoverWithdrawn = defineAction<typeof RecoverInput, StorageConfig>({
  description:
    'recover a withdrawn GFS mount on a node: unmount, fsck when asked (every node unmounted), mount',
  input: RecoverInput,
  idempotent: false, // fsck repairs in place; after a crash, verify reads the mount back first
  destructive: true,
  // Unmounts (and may fsck) under the node's services: as grave as moving them off it.
  scope: 'fence',
  target: (input) => `node/${input.node}/storage/${input.volume}`,
  describe: (input, ctx) => {
    const volume = gfsVolume(ctx.inventory, input.volume)
    const exp = exportOf(ctx.inventory, volume)
    return [
      unmountCommand(ctx.config, volume, input.node),
      ...(input.fsck ? [fsckCommand(ctx.config, volume, exp, input.node)] : []),
      mountCommand(ctx.config, volume, exp, input.node),
    ]
  },
  async run(input, ctx) {
    const volume = gfsVolume(ctx.inventory, input.volume)
    const exp = exportOf(ctx.inventory, volume)
    const before = await readMount(ctx, volume, input.node)
    if (before.state === 'mounted' && !input.fsck)
      return { summary: `${volume.name} is mounted and healthy on ${input.node}` }
    const ran = []
    if (before.state !== 'missing') {
      const command = unmountCommand(ctx.config, volume, input.node)
      await runOrThrow(ctx, command.argv, input.node, 'UNMOUNT_FAILED', ctx.config.mount_timeout)
      ran.push(command)
    }
    if (input.fsck) {
      await refuseWhileMounted(ctx, volume, input.node)
      const command = fsckCommand(ctx.config, volume, exp, input.node)
      await runOrThrow(ctx, command.argv, input.node, 'FSCK_FAILED', ctx.config.fsck_timeout)
      ran.push(command)
    }
    const command = mountCommand(ctx.config, volume, exp, input.node)
    await runOrThrow(ctx, command.argv, input.node, 'MOUNT_FAILED', ctx.config.mount_timeout)
    ran.push(command)
    return {
      summary: `${volume.name} recovered on ${input.node}${input.fsck ? ' (fsck run)' : ''}`,
      commands: ran,
    }
  },
  verify: (input, ctx) => expectState(ctx, input, ['mounted']),
})

/**
 * fsck.gfs2 on a filesystem another node still mounts corrupts it: every other mounter must say
 * "not mounted" (a node that does not answer may still have it mounted).
 */
async function refuseWhileMounted(
  ctx: Parameters<typeof readNode>[0],
  volume: ReturnType<typeof gfsVolume>,
  node: string,
) {
  const others = volume.mounted_by.filter((n) => n !== node)
  const views = await Promise.all(others.map((n) => readMount(ctx, volume, n)))
  const still = views.filter((v) => v.state !== 'missing').map((v) => `${v.node} (${v.state})`)
  if (still.length)
    throw new PluginError(
      'storage',
      'FSCK_WHILE_MOUNTED',
      `refusing fsck of ${volume.name}: still mounted or unknown on ${still.join(', ')}`,
    )
}
