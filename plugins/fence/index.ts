// The fence plugin: fence, status and unfence a node through its fence agents or the cluster.
import { defineAction, definePlugin, Name, type PluginContext, z } from '../../core/plugin/index.ts'
import { fenceWithAgents, statusWithAgents, unfenceWithAgents } from './agents.ts'
import {
  clusterArgv,
  fenceWithCluster,
  isPowerOff,
  lastFence,
  unfenceWithCluster,
} from './cluster.ts'
import { FenceConfig } from './config.ts'
import { describeFence, describeStatus, describeUnfence, onRunner } from './describe.ts'
import { describeRun } from './protocol.ts'

export type { FenceOutcome } from './agents.ts'
export { checkFencing, type FenceConfigIssue } from './check.ts'
export { FenceConfig } from './config.ts'

const NodeInput = z.strictObject({ node: Name })
const UnfenceInput = NodeInput.extend({
  /** Also power the node back on (power devices); storage devices are always re-opened. */
  power_on: z.boolean().default(true),
})
type Ctx = PluginContext<FenceConfig>

export default definePlugin<FenceConfig>({
  name: 'fence',
  description:
    'fence nodes with fence agents (stdin protocol, levels) or through fence_node / stonith_admin',
  config: FenceConfig,
  actions: {
    fence: defineAction<typeof NodeInput, FenceConfig>({
      description:
        "power a node off through its fencing levels and read the agent's status back; the result's data.agentSaysOff is the agent's claim, to be confirmed by the node going silent",
      input: NodeInput,
      idempotent: false,
      destructive: true,
      scope: 'fence',
      fences: (input) => input.node,
      target: (input) => `node/${input.node}`,
      describe: (input, ctx) => describeFence(input.node, ctx),
      async run(input, ctx) {
        const outcome =
          ctx.config.mode === 'agents'
            ? await fenceWithAgents(ctx, input.node)
            : await fenceWithCluster(ctx, input.node)
        const by = outcome.level
          ? `level ${outcome.level} (${outcome.devices.join(', ')})`
          : ctx.config.mode
        return {
          summary: `${input.node}: ${outcome.action} by ${by}; the agent says off (${outcome.confirmedBy}), not yet confirmed by the node going silent`,
          data: { ...outcome },
          commands: outcome.attempts.length
            ? outcome.attempts.map((r) =>
                onRunner(ctx, { argv: r.argv, stdinKeys: r.stdinKeys, note: describeRun(r) }),
              )
            : [onRunner(ctx, { argv: clusterArgv(ctx.config, input.node) })],
        }
      },
      verify: (input, ctx) => verifyOff(input.node, ctx),
    }),
    status: defineAction<typeof NodeInput, FenceConfig>({
      description:
        "read a node's power state from its fence devices (or the cluster's fencing history)",
      input: NodeInput,
      idempotent: true,
      destructive: false,
      scope: 'read',
      target: (input) => `node/${input.node}`,
      describe: (input, ctx) => describeStatus(input.node, ctx),
      async run(input, ctx) {
        const status = await readStatus(input.node, ctx)
        return { summary: `${input.node}: ${status.detail}`, data: status.data }
      },
    }),
    unfence: defineAction<typeof UnfenceInput, FenceConfig>({
      description: 'lift a fence: re-open storage (storage devices) and power the node on',
      input: UnfenceInput,
      idempotent: true,
      destructive: false,
      scope: 'fence',
      target: (input) => `node/${input.node}`,
      describe: (input, ctx) => describeUnfence(input.node, ctx),
      async run(input, ctx) {
        if (ctx.config.mode !== 'agents') {
          const done = await unfenceWithCluster(ctx, input.node)
          return { summary: `${input.node}: ${done.message || 'unfenced'}`, data: done }
        }
        const done = await unfenceWithAgents(ctx, input.node, input.power_on)
        const skipped = done.skipped.length ? `; skipped ${done.skipped.join(', ')}` : ''
        return {
          summary: `${input.node}: unfenced by ${done.runs.map((r) => r.device).join(', ') || 'nothing'}${skipped}`,
          data: { node: input.node, devices: done.runs.map(describeRun), skipped: done.skipped },
        }
      },
    }),
  },
})

/** The agents' (or the cluster's) view of a node's power; used by `status` and `verify`. */
async function readStatus(node: string, ctx: Ctx) {
  if (ctx.config.mode === 'stonith_admin') {
    const event = await lastFence(ctx, node)
    const agentSaysOff = event ? isPowerOff(event) : false
    const detail = event
      ? `last fencing ${event.action} by ${event.delegate ?? 'the cluster'} at ${new Date((event.completed ?? 0) * 1000).toISOString()}`
      : 'never fenced according to the cluster'
    return { agentSaysOff, detail, data: { node, agentSaysOff, lastFence: event ?? null } }
  }
  // fence_node has no status of its own: the inventory's devices (if declared) answer.
  const status = await statusWithAgents(ctx, node)
  const per = status.levels.flatMap((l) => l.devices.map((d) => `${d.device} ${d.power}`))
  return {
    agentSaysOff: status.agentSaysOff,
    detail: `${status.power} (${per.join(', ')})`,
    data: status,
  }
}

async function verifyOff(node: string, ctx: Ctx) {
  const status = await readStatus(node, ctx)
  return { ok: status.agentSaysOff, detail: `${node}: ${status.detail}` }
}
