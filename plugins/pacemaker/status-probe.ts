// The pacemaker.status probe: nodes, quorum, placement and failures from crm_mon XML, judged for health.
import {
  defineProbe,
  guardProbe,
  type Inventory,
  type PlacementFacts,
  type ProbeResult,
  z,
} from '../../core/plugin/index.ts'
import { describePlacement, findResource, type PacemakerStatus } from './crm-mon.ts'
import {
  NodeName,
  type PacemakerConfig,
  ResourceName,
  readStatus,
  resourceId,
} from './crm-tools.ts'
import { nodeState } from './guards.ts'

export const StatusInput = z.object({
  /** Judge this node: critical when it is offline or unclean. */
  node: NodeName.optional(),
  /** Judge this resource (or inventory service): critical when stopped, failed or on an unclean node. */
  resource: ResourceName.optional(),
})

export const status = defineProbe<typeof StatusInput, PacemakerConfig>({
  description:
    'Pacemaker nodes (online/unclean/standby), quorum, placement and failures from crm_mon XML.',
  input: StatusInput,
  run: (input, ctx) =>
    guardProbe(async () => {
      const cluster = await readStatus(ctx)
      const id = input.resource && resourceId(ctx.inventory, input.resource)
      return {
        ...judge(cluster, input.node, id),
        data: facts(cluster),
        facts: { placement: placement(cluster, ctx.inventory) },
      }
    }),
})

type Verdict = Pick<ProbeResult, 'status' | 'detail'>

/**
 * Without `node`/`resource` this judges the cluster as a whole, and only lost (or unknown) quorum
 * is critical: the engine reads this target's state as quorum, and an unclean node or a failed
 * resource must not look like lost quorum (that would block the very fence that cures it).
 */
function judge(cluster: PacemakerStatus, node?: string, resource?: string): Verdict {
  if (cluster.quorum === false)
    return { status: 'critical', detail: `partition WITHOUT quorum (DC ${cluster.dc ?? 'NONE'})` }
  if (node) return judgeNode(cluster, node)
  if (resource) return judgeResource(cluster, resource)
  if (cluster.quorum === null) return { status: 'unknown', detail: 'no DC: quorum unknown' }
  const notes = [
    ...(cluster.maintenanceMode ? ['maintenance-mode: resources are not managed'] : []),
    ...cluster.nodes
      .filter((n) => nodeState(n) !== 'online')
      .map((n) => `${n.name} ${nodeState(n)}`),
    ...cluster.resources.filter((r) => r.failed).map((r) => `${r.id} FAILED`),
    ...cluster.failures.map((f) => `${f.resource} ${f.task} failed on ${f.node} (${f.exitStatus})`),
  ]
  if (notes.length) return { status: 'warning', detail: notes.join('; ') }
  return {
    status: 'ok',
    detail: `partition with quorum, ${cluster.nodes.length} nodes online, ${cluster.resources.length} resources`,
  }
}

function judgeNode(cluster: PacemakerStatus, name: string): Verdict {
  const node = cluster.nodes.find((n) => n.name === name)
  if (!node) return { status: 'unknown', detail: `${name} is not a node of this cluster` }
  const state = nodeState(node)
  const status =
    state === 'online'
      ? 'ok'
      : state === 'standby' || state === 'maintenance'
        ? 'warning'
        : 'critical'
  return { status, detail: `Node ${name}: ${state}` }
}

function judgeResource(cluster: PacemakerStatus, id: string): Verdict {
  const r = findResource(cluster, id)
  if (!r) return { status: 'unknown', detail: `${id} is not in crm_mon` }
  const unclean = r.nodes.filter((n) => cluster.nodes.find((x) => x.name === n)?.unclean)
  const failures = cluster.failures.filter((f) => f.resource.split(':')[0] === id)
  const where = describePlacement(r)
  if (r.failed || !r.active || unclean.length)
    return {
      status: 'critical',
      detail: `${where}${r.failed ? ' (FAILED)' : ''}${unclean.length ? ' (UNCLEAN)' : ''}`,
    }
  if (!r.managed || failures.length)
    return {
      status: 'warning',
      detail: `${where}${r.managed ? '' : ' (unmanaged)'}${failures.length ? `, ${failures.length} failed operations` : ''}`,
    }
  return { status: 'ok', detail: where }
}

function facts(cluster: PacemakerStatus & { answeredBy?: string }): Record<string, unknown> {
  return {
    dc: cluster.dc,
    quorum: cluster.quorum,
    // The engine's cluster view reads `quorate` and `members` (online, clean nodes).
    quorate: cluster.quorum,
    members: cluster.nodes.filter((n) => n.online && !n.unclean).map((n) => n.name),
    maintenanceMode: cluster.maintenanceMode,
    answeredBy: cluster.answeredBy ?? null,
    nodes: cluster.nodes,
    // Group members are placed on their own (they can be split while a group moves).
    placement: Object.fromEntries(
      cluster.resources.flatMap((r) => [
        [r.id, r.nodes],
        ...(r.kind === 'group' ? (r.members ?? []).map((m) => [m.id, m.nodes]) : []),
      ]),
    ),
    resources: cluster.resources,
    failures: cluster.failures,
  }
}

/**
 * Where each inventory service placed by Pacemaker runs now (its resource's first active node).
 * Nothing from a partition without quorum: its word on placement is not the cluster's.
 */
function placement(cluster: PacemakerStatus, inventory: Inventory): Record<string, PlacementFacts> {
  const out: Record<string, PlacementFacts> = {}
  if (cluster.quorum !== true) return out
  for (const service of inventory.config.services) {
    const id = service.cluster?.pacemaker?.resource
    const r = id ? findResource(cluster, id) : undefined
    if (!r) continue
    const state = r.failed ? 'failed' : r.active ? (r.role ?? 'Started') : 'Stopped'
    out[service.name] = { owner: r.active ? (r.nodes[0] ?? null) : null, state }
  }
  return out
}
