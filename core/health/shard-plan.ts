// Shard keys for several instances on one store: which instance probes a check and records a transition.
import type { Inventory } from '../inventory/index.ts'
import { type CheckTarget, isBuiltinKind } from '../probe/index.ts'
import type { HealthChanges } from './engine.ts'
import { healthTarget } from './rows.ts'

/**
 * The key of what every instance with work probes (cluster-wide plugin probes such as
 * rgmanager.membership: each instance needs the cluster's view for its node verdicts) and
 * exactly one records: those checks' transitions, the cluster row and the monitor row.
 */
export const CLUSTER_WIDE = '*cluster'

/** Answers "is this shard key mine?" (e.g. a rendezvous-hash view over the live instances). */
export type ShardOwner = (key: string) => boolean

export interface ShardPlan {
  /** The shard key a check belongs to: its node's group, or CLUSTER_WIDE. */
  keyOf(target: CheckTarget): string
  /**
   * The checks this instance probes: its groups' checks and every cluster-wide one, or none at
   * all when it owns no group and does not record the shared rows (a standby among several:
   * the cluster-wide probes spawn tools on every call, and nobody would use its results).
   */
  probed(targets: readonly CheckTarget[], owns: ShardOwner): CheckTarget[]
  /** Keeps the transitions this instance is the one to record; drops the others' copies. */
  recorded(changes: HealthChanges, owns: ShardOwner): HealthChanges
}

/**
 * Plans shards BY NODE GROUP: every check against a node (its node checks, the real-server
 * checks on it) shares one key, so the node-down quorum of vantage points is counted inside one
 * instance; nodes that serve one service share a group too, because a service verdict needs
 * every real server's state. A site whose services all span all nodes is one group (one
 * instance probes; the others stand by), which is correct rather than split.
 *
 * @example
 * const plan = planShards(inventory, targets)
 * startScheduler({ targets: plan.probed(targets, (key) => view.owns(key)), ... })
 */
export function planShards(inventory: Inventory, targets: readonly CheckTarget[]): ShardPlan {
  const group = nodeGroups(inventory)
  const byRow = new Map<string, string>()
  const keyOf = (target: CheckTarget) =>
    isBuiltinKind(target.check.kind) ? (group.get(target.node) ?? target.node) : CLUSTER_WIDE
  for (const target of targets) byRow.set(target.id, keyOf(target))
  for (const node of inventory.config.nodes)
    byRow.set(healthTarget.node(node.name), group.get(node.name)!)
  for (const service of inventory.config.services) {
    const first = service.real_servers[0]?.node
    byRow.set(healthTarget.service(service.name), first ? group.get(first)! : CLUSTER_WIDE)
  }
  const rowKey = (key: string) => byRow.get(key) ?? CLUSTER_WIDE
  const eventKey = (type: string, subject: string) =>
    type.startsWith('node.')
      ? rowKey(healthTarget.node(subject))
      : type.startsWith('service.')
        ? rowKey(healthTarget.service(subject))
        : rowKey(subject)
  return {
    keyOf,
    probed: (all, owns) => {
      const mine = all.filter((t) => keyOf(t) === CLUSTER_WIDE || owns(keyOf(t)))
      const needed = owns(CLUSTER_WIDE) || mine.some((t) => keyOf(t) !== CLUSTER_WIDE)
      return needed ? mine : []
    },
    recorded: (changes, owns) => ({
      events: changes.events.filter((event) => owns(eventKey(event.type, event.subject))),
      rows: changes.rows.filter((row) => owns(rowKey(row.target))),
    }),
  }
}

/** Union-find over nodes: the nodes of one service end in one group, named by its first node. */
function nodeGroups(inventory: Inventory): Map<string, string> {
  const parent = new Map<string, string>()
  const find = (name: string): string => {
    const up = parent.get(name) ?? name
    if (up === name) return name
    const root = find(up)
    parent.set(name, root)
    return root
  }
  for (const node of inventory.config.nodes) parent.set(node.name, node.name)
  for (const service of inventory.config.services) {
    const [first, ...rest] = service.real_servers.map((server) => server.node)
    for (const node of rest) if (first) parent.set(find(node), find(first))
  }
  const groups = new Map<string, string>()
  for (const node of inventory.config.nodes) groups.set(node.name, `node:${find(node.name)}`)
  return groups
}
