// The fence plugin's own config block: how fencing is done (agents, fence_node, stonith_admin).
import { Duration, z } from '../../core/plugin/index.ts'

/** What tandem knows about an agent beyond (or instead of) its metadata. */
const AgentQuirks = z.strictObject({
  /** Absolute path of the agent; default `<agents_dir>/<agent>`. */
  path: z.string().min(1).optional(),
  /** The stdin key that names the victim, for agents without metadata (fence_gnbd: nodename). */
  plug_key: z.string().min(1).optional(),
  /** Actions the agent understands, for agents without metadata. */
  actions: z.array(z.string().min(1)).optional(),
})

export const FenceConfig = z.strictObject({
  /**
   * `agents`: tandem runs the fence agents of the inventory's levels itself.
   * `fence_node` (rgmanager/cman) and `stonith_admin` (Pacemaker): the cluster fences, tandem
   * asks and reads the result back.
   */
  mode: z.enum(['agents', 'fence_node', 'stonith_admin']).default('agents'),
  /** Where `fence_*` agents live when `agents.<name>.path` is not given; absent: found on PATH. */
  agents_dir: z.string().min(1).optional(),
  agents: z.record(z.string(), AgentQuirks).default({}),
  /** Inventory node that runs the agents and cluster tools; absent: where tandem runs. */
  run_on: z.string().min(1).optional(),
  /** Power action of a fence: `off` (confirmed by status) or `reboot`. */
  action: z.enum(['off', 'reboot']).default('off'),
  /** Status reads after `off` before a device counts as unconfirmed (BMCs can lag). */
  confirm_attempts: z.number().int().min(1).max(20).default(3),
  confirm_interval: Duration.default(2_000),
  /** Time allowed for `action=metadata` when options are checked. */
  metadata_timeout: Duration.default(10_000),
  fence_node: z.string().min(1).default('fence_node'),
  stonith_admin: z.string().min(1).default('stonith_admin'),
  /** stonith_admin --timeout, and the wait for fence_node. */
  cluster_timeout: Duration.default(120_000),
})

export type FenceConfig = z.output<typeof FenceConfig>
export type AgentQuirks = z.output<typeof AgentQuirks>

/**
 * Agents that predate `action=metadata`. fence_gnbd ignores `action` altogether (every run
 * fences), so tandem must never send it a status or on request.
 */
export const LEGACY_AGENTS: Record<string, AgentQuirks> = {
  fence_gnbd: { plug_key: 'nodename', actions: ['off'] },
}

/** The program that runs an agent: its configured path, `<agents_dir>/<agent>`, or its name. */
export function agentPath(config: FenceConfig, agent: string): string {
  const dir = config.agents_dir?.replace(/\/$/, '')
  return config.agents[agent]?.path ?? (dir ? `${dir}/${agent}` : agent)
}
