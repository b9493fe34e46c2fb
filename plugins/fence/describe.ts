// What the fence actions would run, for `tandem plan` and dry runs: argv and stdin keys only.
import type { PlannedCommand, PluginContext } from '../../core/plugin/index.ts'
import { clusterArgv } from './cluster.ts'
import type { FenceConfig } from './config.ts'
import { planNode } from './levels.ts'
import { type DeviceCall, stdinKeys } from './protocol.ts'

type Ctx = PluginContext<FenceConfig>

export async function describeFence(node: string, ctx: Ctx): Promise<PlannedCommand[]> {
  if (ctx.config.mode !== 'agents')
    return [
      onRunner(ctx, {
        argv: clusterArgv(ctx.config, node),
        note: `ask the cluster to fence ${node}`,
      }),
    ]
  const plan = await planNode(ctx, node)
  const delay = plan.delayMs ? ` (after a ${plan.delayMs} ms delay)` : ''
  return perDevice(ctx, node, undefined, (call, level) => {
    const confirm = call.info.actions.has('status') ? ', then status until off' : ''
    return `level ${level}: ${call.device} ${ctx.config.action} ${node}${confirm}${level === 1 ? delay : ''}`
  })
}

export async function describeStatus(node: string, ctx: Ctx): Promise<PlannedCommand[]> {
  if (ctx.config.mode === 'stonith_admin')
    return [
      onRunner(ctx, { argv: [ctx.config.stonith_admin, '--history', node, '--output-as=xml'] }),
    ]
  return perDevice(ctx, node, 'status', (call) => `${call.device} status of ${node}`)
}

export async function describeUnfence(node: string, ctx: Ctx): Promise<PlannedCommand[]> {
  if (ctx.config.mode !== 'agents')
    return [
      onRunner(ctx, {
        argv: clusterArgv(ctx.config, node, true),
        note: `ask the cluster to unfence ${node}`,
      }),
    ]
  return perDevice(ctx, node, 'on', (call) => `${call.device} on ${node}`)
}

/** Where the plugin's commands run: `run_on`, or where tandem runs. */
export function onRunner(ctx: Ctx, command: PlannedCommand): PlannedCommand {
  return ctx.config.run_on ? { ...command, node: ctx.config.run_on } : command
}

/** One planned agent run per device of every level (that supports `action`, when given). */
async function perDevice(
  ctx: Ctx,
  node: string,
  action: string | undefined,
  note: (call: DeviceCall, level: number) => string,
): Promise<PlannedCommand[]> {
  const plan = await planNode(ctx, node)
  return plan.levels.flatMap((level) =>
    level.devices
      .filter((call) => !action || call.info.actions.has(action))
      .map((call) =>
        onRunner(ctx, {
          argv: [call.info.path],
          stdinKeys: stdinKeys(call),
          note: note(call, level.index),
        }),
      ),
  )
}
