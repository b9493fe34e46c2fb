// A node's fencing levels from the inventory, resolved into agent calls (device, agent, plug).
import { type PluginContext, PluginError } from '../../core/plugin/index.ts'
import type { FenceConfig } from './config.ts'
import { agentInfo } from './metadata.ts'
import type { DeviceCall } from './protocol.ts'

export interface Level {
  /** 1-based, as operators count them. */
  index: number
  devices: DeviceCall[]
}

export interface NodePlan {
  node: string
  /** Static delay before the first fence attempt (breaks fence races in two-node clusters). */
  delayMs: number
  levels: Level[]
}

/**
 * Resolves `fencing.nodes[node]` into levels of device calls. The victim's plug is the level
 * entry's `plug`, else the device's own plug option, else the node name (as Pacemaker does),
 * and only when the agent takes a plug at all.
 *
 * @example
 * const plan = await planNode(ctx, 'node2')
 * plan.levels[0]?.devices.map((d) => d.device)
 */
export async function planNode(ctx: PluginContext<FenceConfig>, node: string): Promise<NodePlan> {
  const fencing = ctx.inventory.fencingOf(node)
  if (!fencing)
    throw new PluginError('fence', 'NO_FENCING', `node "${node}" has no fencing levels`, {
      context: 'inventory',
    })
  const levels: Level[] = []
  for (const [i, entries] of fencing.levels.entries()) {
    const devices: DeviceCall[] = []
    for (const entry of entries) {
      const name = typeof entry === 'string' ? entry : entry.device
      const device = ctx.inventory.fenceDevice(name)
      if (!device)
        throw new PluginError('fence', 'NO_FENCING', `fence device "${name}" is not declared`, {
          context: 'inventory',
        })
      const info = await agentInfo(ctx, device.agent)
      const explicit = typeof entry === 'string' ? undefined : entry.plug
      const own = info.plugKey ? device.options[info.plugKey] : undefined
      const plug = explicit ?? own ?? node
      devices.push({
        device: name,
        kind: device.kind,
        info,
        options: device.options,
        ...(info.plugKey ? { plug: String(plug) } : {}),
        timeoutMs: device.timeout,
      })
    }
    levels.push({ index: i + 1, devices })
  }
  return { node, delayMs: fencing.delay, levels }
}
