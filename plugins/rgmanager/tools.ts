// Runs clustat and clusvcadm on the first member that answers and turns their failures into typed errors.
import {
  type CommandResult,
  type Inventory,
  type PluginContext,
  PluginError,
  runOnFirstReachable,
  toolOutput,
  z,
} from '../../core/plugin/index.ts'
import { type ClusterStatus, parseClustat } from './clustat.ts'

/**
 * rgmanager service names (`db`, `service:db`, `vm:guest1`) and cluster node names: what
 * cluster.conf allows, and never anything clusvcadm's getopt could read as an option.
 */
export const RgServiceName = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/,
    'expected an rgmanager service name such as "db" or "vm:guest1"',
  )
export const ClusterNodeName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/, 'expected a cluster node name')

export const RgmanagerConfig = z.object({
  clustat: z.string().min(1).default('clustat'),
  clusvcadm: z.string().min(1).default('clusvcadm'),
  /** Cluster nodes to run the tools on, in order; the next is tried when one does not answer. Empty: locally. */
  run_on: z.array(ClusterNodeName).default([]),
  /** Extra environment for the tools (the runner starts from a scrubbed one). */
  env: z.record(z.string(), z.string()).default({}),
})
export type RgmanagerConfig = z.output<typeof RgmanagerConfig>
export type Ctx = PluginContext<RgmanagerConfig>

/** clustat's and clusvcadm's words for "this node cannot act for the cluster": try another member. */
const NOT_HERE =
  /Could not connect to (CMAN|cluster service|resource group manager)|Timed out waiting for a response from Resource Group Manager/

/**
 * clusvcadm's exit status is the daemon's RG_* reply code (resgroup.h) modulo 256, or 1 for its
 * own checks; each maps to a kind a policy can match on.
 */
const EXIT_KINDS: Record<number, string> = {
  252: 'NO_SUCH_SERVICE', // RG_ENOSERVICE  -4  "Service does not exist"
  247: 'NO_QUORUM', // RG_EQUORUM -9 "Operation requires quorum"
  245: 'FROZEN', // RG_EFROZEN -11 "Failure: Service is frozen"
  248: 'INVALID_OPERATION', // RG_EINVAL -8 "Invalid operation for resource"
  244: 'NODE_NOT_MEMBER', // RG_ENODE -12 "Target node dead / nonexistent"
  243: 'FENCE_PENDING', // RG_EFENCE -13 "Fencing operation pending; try again later"
  239: 'RELOCATE_FAILED', // RG_ERELO -17 "Failed; service running on original owner"
  250: 'TRY_AGAIN', // RG_EAGAIN -6 "Temporary failure; try again"
  249: 'DEPENDENCY', // RG_EDEPEND -7 "Operation violates dependency rule"
  241: 'NOT_RUNNABLE', // RG_EDOMAIN -15 "Service not runnable"
  255: 'FAILED', // RG_EFAIL -1 "Failure"
}

/** The rgmanager name of a service: inventory placement first, then `vm:<name>` for guests. */
export function rgName(inventory: Inventory, name: string): string {
  if (name.includes(':')) return name
  const placed = inventory.service(name)?.cluster?.rgmanager?.service
  if (placed) return placed.includes(':') ? placed : `service:${placed}`
  if (!inventory.service(name) && inventory.vm(name)) return `vm:${name}`
  return `service:${name}`
}

/** `clustat -x`, parsed; a member that cannot answer is passed over for the next. */
export async function readStatus(ctx: Ctx): Promise<ClusterStatus & { answeredBy?: string }> {
  const { result, node } = await run(ctx, [ctx.config.clustat, '-x'])
  if (result.timedOut || result.code !== 0 || !result.stdout.includes('<?xml'))
    throw toolError(result, 'clustat -x failed')
  return { ...parseClustat(result.stdout), answeredBy: node }
}

/** Runs clusvcadm with `args`; any failure is a typed PluginError with clusvcadm's own words. */
export async function clusvcadm(
  ctx: Ctx,
  args: string[],
): Promise<{ output: string; node?: string }> {
  const { result, node } = await run(ctx, [ctx.config.clusvcadm, ...args])
  // clusvcadm acts on the "closest match" of a misspelt member and still exits 0: never hide that.
  if (result.timedOut || result.code !== 0 || /not in membership list/.test(result.stdout))
    throw toolError(result, `clusvcadm ${args.join(' ')}`)
  return { output: toolOutput(result), node }
}

/** The argv a clusvcadm call would run, for describe(). */
export function clusvcadmArgv(ctx: Ctx, args: string[]): string[] {
  return [ctx.config.clusvcadm, ...args]
}

/** Maps a failed clustat/clusvcadm run to a PluginError whose message is the tool's own output. */
export function toolError(result: CommandResult, context: string): PluginError {
  const message = toolOutput(result) || `exit ${result.code ?? result.signal}`
  return new PluginError('rgmanager', errorKind(result), message, {
    exitCode: result.code,
    context,
  })
}

function errorKind(result: CommandResult): string {
  const text = toolOutput(result)
  if (result.timedOut) return 'TIMEOUT'
  if (/not in membership list/.test(text)) return 'UNKNOWN_NODE'
  if (/' is offline$/m.test(text)) return 'NODE_NOT_MEMBER'
  if (NOT_HERE.test(text)) return 'CLUSTER_UNREACHABLE'
  if (/^ssh: /m.test(result.stderr)) return 'NODE_UNREACHABLE'
  return EXIT_KINDS[result.code ?? -1] ?? 'FAILED'
}

async function run(ctx: Ctx, argv: string[]) {
  return runOnFirstReachable(
    ctx.runner,
    ctx.config.run_on,
    { argv, env: ctx.config.env, timeoutMs: ctx.timeoutMs, signal: ctx.signal },
    NOT_HERE,
  )
}
