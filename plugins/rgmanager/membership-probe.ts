// The rgmanager.membership probe: members, quorum and service owners from `clustat -x`, as health sees them.
import {
  defineProbe,
  guardProbe,
  type Inventory,
  type PlacementFacts,
  type ProbeResult,
  z,
} from '../../core/plugin/index.ts'
import { type ClusterStatus, isRunning, type ServiceState } from './clustat.ts'
import { describeService, findService, why } from './service-actions.ts'
import {
  ClusterNodeName,
  type RgmanagerConfig,
  RgServiceName,
  readStatus,
  rgName,
} from './tools.ts'

export const MembershipInput = z.object({
  /** Judge this node: critical when it is not an online member. */
  node: ClusterNodeName.optional(),
  /** Judge this service: critical when it is not running (failed, stopped, recovering). */
  service: RgServiceName.optional(),
})

export const membership = defineProbe<typeof MembershipInput, RgmanagerConfig>({
  description:
    'Cluster membership, quorum and service owners/states from clustat -x (a vantage point for node-down quorum).',
  input: MembershipInput,
  run: (input, ctx) =>
    guardProbe(async () => {
      const status = await readStatus(ctx)
      const service = input.service && rgName(ctx.inventory, input.service)
      return {
        ...judge(status, input.node, service),
        data: facts(status),
        facts: { placement: placement(status, ctx.inventory) },
      }
    }),
})

type Verdict = Pick<ProbeResult, 'status' | 'detail'>

/**
 * Without `node`/`service` this judges the cluster as a whole, and only lost quorum is critical:
 * the engine reads this target's state as quorum, so a failed service or an offline member (a
 * warning here, critical in its own check) must not look like lost quorum.
 */
function judge(status: ClusterStatus, node?: string, service?: string): Verdict {
  const name = status.cluster?.name ?? 'cluster'
  const members = status.nodes.filter((n) => n.online)
  if (status.quorate === false)
    return {
      status: 'critical',
      detail: `${name} is inquorate (${members.length} of ${status.nodes.length} members online)`,
    }
  if (node) return judgeNode(status, node)
  if (service) return judgeService(status, service)
  const failed = (status.services ?? []).filter((s) => !isRunning(s) && s.state !== 'disabled')
  const offline = status.nodes.filter((n) => !n.online).map((n) => n.name)
  const notes = [
    ...(offline.length ? [`offline: ${offline.join(', ')}`] : []),
    ...failed.map((s) => `${s.name} ${describeService(s)}`),
  ]
  if (notes.length) return { status: 'warning', detail: notes.join('; ') }
  return {
    status: 'ok',
    detail: `${name} quorate, ${members.length} members, ${status.services?.length ?? 0} services running`,
  }
}

function judgeNode(status: ClusterStatus, node: string): Verdict {
  const member = status.nodes.find((n) => n.name === node)
  if (!member) return { status: 'unknown', detail: `${node} is not a node of this cluster` }
  return member.online
    ? { status: 'ok', detail: `${node} is an online member` }
    : { status: 'critical', detail: `${node} is not a cluster member (offline)` }
}

function judgeService(status: ClusterStatus, service: string): Verdict {
  const svc = findService(status, service)
  if (!svc)
    return { status: 'unknown', detail: `${service} is not in clustat -x ${why(status)}`.trim() }
  return { status: serviceStatus(svc), detail: `${service} is ${describeService(svc)}` }
}

function serviceStatus(svc: ServiceState): ProbeResult['status'] {
  if (svc.state === 'started') return svc.flags.includes('frozen') ? 'warning' : 'ok'
  if (svc.state === 'disabled' || isRunning(svc) || svc.state === 'migrating') return 'warning'
  return 'critical'
}

function facts(status: ClusterStatus & { answeredBy?: string }): Record<string, unknown> {
  return {
    cluster: status.cluster?.name ?? null,
    quorate: status.quorate,
    local: status.nodes.find((n) => n.local)?.name ?? null,
    answeredBy: status.answeredBy ?? null,
    members: status.nodes.filter((n) => n.online).map((n) => n.name),
    nodes: status.nodes,
    services: status.services,
    notice: status.notice || null,
  }
}

/**
 * Where each inventory service placed by rgmanager runs now. Nothing from an inquorate
 * partition or without a service list: its word on placement is not the cluster's.
 */
function placement(status: ClusterStatus, inventory: Inventory): Record<string, PlacementFacts> {
  const out: Record<string, PlacementFacts> = {}
  if (status.quorate === false || !status.services) return out
  for (const service of inventory.config.services) {
    if (!service.cluster?.rgmanager) continue
    const svc = findService(status, rgName(inventory, service.name))
    if (svc) out[service.name] = { owner: svc.owner, lastOwner: svc.lastOwner, state: svc.state }
  }
  return out
}
