// rgmanager actions that place a service on a member: relocate, enable and migrate (with fence-before-recover).
import {
  type ActionScope,
  defineAction,
  type PlannedCommand,
  PluginError,
  z,
} from '../../core/plugin/index.ts'
import { type ClusterStatus, isRunning, type ServiceState, whereItRan } from './clustat.ts'
import {
  describeService,
  findService,
  inventoryService,
  oneLine,
  requireClusterNode,
  verifyService,
} from './service-actions.ts'
import {
  ClusterNodeName,
  type Ctx,
  clusvcadm,
  clusvcadmArgv,
  type RgmanagerConfig,
  RgServiceName,
  readStatus,
  rgName,
} from './tools.ts'

const Node = ClusterNodeName
const PlaceInput = z.object({
  service: RgServiceName,
  /** Destination member; relocate/enable without it let rgmanager choose. */
  node: Node.optional(),
  /** The failed node the service is recovered from: it must be confirmed fenced first. */
  from: Node.optional(),
})
const MigrateInput = PlaceInput.extend({ node: Node })
type PlaceInput = z.output<typeof PlaceInput>

export const relocate = placementAction({
  description: 'Stop a service and start it on another member, or on `node` (clusvcadm -r).',
  flag: '-r',
  verb: 'relocate',
  input: PlaceInput,
  // Re-running without a node moves the service again, so it is not blind-safe.
  idempotent: false,
  scope: 'operate',
  strictTarget: true,
})

export const enable = placementAction({
  description: 'Start a stopped or disabled service, on `node` if given (clusvcadm -e).',
  flag: '-e',
  verb: 'enable',
  input: PlaceInput,
  idempotent: true,
  scope: 'operate',
  strictTarget: false,
})

export const migrate = placementAction({
  description: 'Live-migrate a vm: service to `node` (clusvcadm -M).',
  flag: '-M',
  verb: 'migrate',
  input: MigrateInput,
  idempotent: true,
  // Moving a workload between hosts while it runs: the fence scope, like xen.migrate.
  scope: 'fence',
  strictTarget: false,
})

/**
 * Nodes to confirm fenced before a service on shared storage (GFS/GNBD) may start elsewhere: the
 * declared `from`, else the node it runs or last ran on when that node is no longer a cluster
 * member (read from clustat). A live owner needs no fence: rgmanager stops the service there
 * before starting it anywhere else, and marks it failed, not moved, if that stop fails.
 */
async function needsFence(input: PlaceInput, ctx: Ctx): Promise<string[]> {
  const service = inventoryService(ctx.inventory, input.service)
  if (!service || !ctx.inventory.usesSharedStorage(service)) return []
  if (input.from) return input.from !== input.node ? [input.from] : []
  const status = await readStatus(ctx)
  const svc = findService(status, rgName(ctx.inventory, input.service))
  const last = svc && svc.state !== 'disabled' ? whereItRan(svc) : null
  if (!last || last === input.node) return []
  return status.nodes.find((n) => n.name === last)?.online ? [] : [last]
}

function placementAction(spec: {
  description: string
  flag: '-r' | '-e' | '-M'
  verb: string
  input: z.ZodType<PlaceInput>
  idempotent: boolean
  scope: ActionScope
  /** relocate: an offline destination is refused here, because rgmanager would silently pick another. */
  strictTarget: boolean
}) {
  const argsFor = (name: string, input: PlaceInput) => [
    spec.flag,
    name,
    ...(input.node ? ['-m', input.node] : []),
  ]
  return defineAction<z.ZodType<PlaceInput>, RgmanagerConfig>({
    description: spec.description,
    input: spec.input,
    idempotent: spec.idempotent,
    destructive: true,
    scope: spec.scope,
    target: (input) => `service/${input.service}`,
    // Without a node rgmanager chooses; its failover domain is the site's to keep storage-aware.
    places: (input) => (input.node ? [{ service: input.service, node: input.node }] : []),
    needsFence,
    async describe(input, ctx) {
      const name = rgName(ctx.inventory, input.service)
      const now = await currentState(ctx, name)
      const to = input.node ? ` to ${input.node}` : ''
      const planned: PlannedCommand = {
        argv: clusvcadmArgv(ctx, argsFor(name, input)),
        note: `${spec.verb} ${name}${now ? ` (${now})` : ''}${to}`,
      }
      return [planned]
    },
    async run(input, ctx) {
      const name = rgName(ctx.inventory, input.service)
      const status = await readStatus(ctx)
      if (input.node) requireClusterNode(status, input.node)
      if (input.node && spec.strictTarget) requireMember(status, input.node, name)
      const svc = findService(status, name)
      if (svc && input.node && isRunning(svc) && svc.owner === input.node)
        return {
          summary: `${name} already runs on ${input.node}; nothing to do`,
          data: { owner: input.node },
        }
      const args = argsFor(name, input)
      const { output, node } = await clusvcadm(ctx, args)
      return {
        summary: oneLine(output),
        data: { service: name, owner: newOwner(output) ?? input.node, output },
        commands: [{ argv: clusvcadmArgv(ctx, args), node }],
      }
    },
    verify(input, ctx) {
      const name = rgName(ctx.inventory, input.service)
      const where = input.node ? ` on ${input.node}` : input.from ? ` off ${input.from}` : ''
      return verifyService(ctx, name, (svc) => placed(svc, input), `running${where}`)
    },
  })
}

function placed(svc: ServiceState, input: PlaceInput): boolean {
  if (!isRunning(svc) || !svc.owner) return false
  if (input.node) return svc.owner === input.node
  return svc.owner !== input.from
}

function requireMember(status: ClusterStatus, node: string, name: string): void {
  if (status.nodes.find((n) => n.name === node)?.online) return
  throw new PluginError(
    'rgmanager',
    'NODE_NOT_MEMBER',
    `${node} is not a cluster member (clustat -x: state="0"); rgmanager would start ${name} elsewhere`,
  )
}

/** "service:db is now running on node2" (possibly after "Warning: "). */
function newOwner(output: string): string | undefined {
  return /is now running on (\S+)\s*$/m.exec(output)?.[1]
}

async function currentState(ctx: Ctx, name: string): Promise<string | undefined> {
  try {
    const svc = findService(await readStatus(ctx), name)
    return svc ? describeService(svc) : 'not in clustat'
  } catch {
    return undefined
  }
}
