// Runs crm_mon, crm_resource, crm_attribute and cibadmin on the first node that answers; maps their failures.
import {
  type CommandResult,
  Duration,
  type Inventory,
  type PluginContext,
  PluginError,
  runOnFirstReachable,
  toolOutput,
  z,
} from '../../core/plugin/index.ts'
import { type CliConstraint, cliConstraints } from './cib-constraints.ts'
import { type PacemakerStatus, parseCrmMon } from './crm-mon.ts'

/** A CIB id (an XML ID: letter or underscore first) or an inventory service name. */
export const ResourceName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,254}$/, 'expected a resource id such as "web" or "db"')
/** A node's uname; never something crm_resource could read as an option. */
export const NodeName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/, 'expected a cluster node name')

export const PacemakerConfig = z.object({
  crm_mon: z.string().min(1).default('crm_mon'),
  crm_resource: z.string().min(1).default('crm_resource'),
  crm_attribute: z.string().min(1).default('crm_attribute'),
  cibadmin: z.string().min(1).default('cibadmin'),
  /** Cluster nodes to run the tools on, in order; the next is tried when one does not answer. Empty: locally. */
  run_on: z.array(NodeName).default([]),
  /** Extra environment for the tools, e.g. `CIB_file` to work on an offline CIB. */
  env: z.record(z.string(), z.string()).default({}),
  /** How long verify waits for the cluster to carry out the transition. */
  settle_timeout: Duration.default(30_000),
  settle_interval: Duration.default(1_000),
})
export type PacemakerConfig = z.output<typeof PacemakerConfig>
export type Ctx = PluginContext<PacemakerConfig>

/** Words for "this node cannot speak for the cluster" (not running there): try another. */
const NOT_HERE =
  /Could not connect to the CIB|Connection to cluster failed|Transport endpoint is not connected/

/** Pacemaker's crm_exit_t codes (include/crm/common/results.h) a policy may want to tell apart. */
const EXIT_KINDS: Record<number, string> = {
  1: 'FAILED',
  2: 'INVALID_PARAMETER',
  4: 'PERMISSION_DENIED',
  64: 'USAGE',
  77: 'PERMISSION_DENIED',
  102: 'CIB_UNAVAILABLE', // CRM_EX_DISCONNECT
  105: 'NO_SUCH_OBJECT', // CRM_EX_NOSUCH "No such object"
  106: 'NO_QUORUM', // CRM_EX_QUORUM
  107: 'UNSAFE', // CRM_EX_UNSAFE
  108: 'ALREADY_EXISTS', // CRM_EX_EXISTS "Requested item already exists"
  109: 'MULTIPLE', // CRM_EX_MULTIPLE
  124: 'TIMEOUT', // CRM_EX_TIMEOUT
}

/** The Pacemaker resource id of a service: its inventory placement, else the name itself. */
export function resourceId(inventory: Inventory, name: string): string {
  return inventory.service(name)?.cluster?.pacemaker?.resource ?? name
}

/** `crm_mon --output-as=xml`, parsed. */
export async function readStatus(ctx: Ctx): Promise<PacemakerStatus & { answeredBy?: string }> {
  const { result, node } = await run(ctx, [ctx.config.crm_mon, '--output-as=xml'])
  if (result.timedOut || result.code !== 0) throw toolError(result, 'crm_mon --output-as=xml')
  return { ...parseCrmMon(result.stdout), answeredBy: node }
}

/** The location constraints crm_resource --move/--ban left for `resource` (cibadmin --query). */
export async function readCliConstraints(ctx: Ctx, resource: string): Promise<CliConstraint[]> {
  const argv = [ctx.config.cibadmin, '--query', '--scope', 'constraints']
  const { result } = await run(ctx, argv)
  if (result.timedOut || result.code !== 0) throw toolError(result, argv.slice(1).join(' '))
  return cliConstraints(result.stdout, resource)
}

/** Runs one crm tool; a failure is a PluginError keeping the tool's words and a typed kind. */
export async function crm(
  ctx: Ctx,
  argv: string[],
): Promise<{ output: string; node?: string; result: CommandResult }> {
  const { result, node } = await run(ctx, argv)
  if (result.timedOut || result.code !== 0) throw toolError(result, argv.map(base).join(' '))
  return { output: toolOutput(result), node, result }
}

/** Maps a failed crm tool run to a PluginError: `crm_resource: Resource 'x' not found` → UNKNOWN_RESOURCE … */
export function toolError(result: CommandResult, context: string): PluginError {
  const text = toolOutput(result)
  return new PluginError(
    'pacemaker',
    errorKind(result, text),
    text || `exit ${result.code ?? result.signal}`,
    {
      exitCode: result.code,
      context,
    },
  )
}

function errorKind(result: CommandResult, text: string): string {
  if (result.timedOut) return 'TIMEOUT'
  // ssh's own exit 255 is not a crash of the tool.
  if (result.code === 255 && /^ssh: /m.test(result.stderr)) return 'NODE_UNREACHABLE'
  if (result.signal || (result.code ?? 0) > 128) return 'TOOL_CRASHED'
  if (/Resource '[^']*' not found/.test(text)) return 'UNKNOWN_RESOURCE'
  if (/Node '[^']*' not found|Could not map name=\S+ to a UUID/.test(text)) return 'UNKNOWN_NODE'
  if (NOT_HERE.test(text)) return 'CIB_UNAVAILABLE'
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

function base(path: string): string {
  return path.split('/').pop() ?? path
}
