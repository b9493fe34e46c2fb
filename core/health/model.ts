// What the health engine knows: the checks, nodes and services of an inventory, wired as vantage points.
import type { HealthState } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import { type CheckTarget, isBuiltinKind } from '../probe/index.ts'
import { BlindWatch } from './blind.ts'
import { CheckRecord } from './check-record.ts'
import { FactsBook } from './live-facts.ts'
import { dependencyOrder, type NodeRecord } from './node-votes.ts'
import { defaultMinHealthy, type ServiceRecord } from './service-health.ts'
import { storageLabelOfService } from './storage-labels.ts'

/** The engine's whole state; the loop's steps (results, verdicts, rows) read and change it. */
export interface HealthModel {
  inventory: Inventory
  monitor: Inventory['config']['monitor']
  quorum: number
  checks: Map<string, CheckRecord>
  nodes: Map<string, NodeRecord>
  /** The nodes in dependency order: parents before their children. */
  order: NodeRecord[]
  services: ServiceRecord[]
  servicesByName: Map<string, ServiceRecord>
  /** Rows of services with no checks (no record): what a facts-only write keeps. */
  bareServices: Map<string, { state: HealthState; since: number }>
  facts: FactsBook
  /** Each storage row as last written: its state, since when, and its detail (as JSON). */
  storageRows: Map<string, { state: HealthState; since: number; json: string }>
  /** The storage rows were re-read from the store: the next results compare against them. */
  storageStale: boolean
  clusterSources: CheckRecord[]
  /** The cluster sources that have delivered a membership view: vantage points of every node. */
  clusterViews: CheckRecord[]
  heldChecks: Set<CheckRecord>
  heldNodes: Set<NodeRecord>
  watch: BlindWatch
  /** When the monitor last regained its sight: failures must be seen again after it. */
  sightedAt: number
  /** What the store's monitor row says (blind or not), as far as this instance knows. */
  announcedBlind: boolean
  /** The cluster row last written (state and members), so it is written on change only. */
  clusterKey: string
}

/** Builds the model of an inventory with every target as a check, nothing observed yet. */
export function buildModel(inventory: Inventory, targets: readonly CheckTarget[]): HealthModel {
  const monitor = inventory.config.monitor
  const nodes = new Map<string, NodeRecord>()
  for (const node of inventory.config.nodes) nodes.set(node.name, newNode(node.name))
  const order = dependencyOrder(nodes, (name) => inventory.node(name)?.depends_on ?? [])
  const model: HealthModel = {
    inventory,
    monitor,
    quorum: monitor.node_down_quorum,
    checks: new Map(),
    nodes,
    order,
    services: [],
    servicesByName: new Map(),
    bareServices: new Map(),
    facts: new FactsBook(),
    storageRows: new Map(),
    storageStale: false,
    clusterSources: [],
    clusterViews: [],
    heldChecks: new Set(),
    heldNodes: new Set(),
    watch: new BlindWatch(monitor.blind_threshold),
    sightedAt: 0,
    announcedBlind: false,
    clusterKey: '',
  }
  for (const target of targets) addCheck(model, target)
  for (const service of inventory.config.services) addService(model, service.name)
  return model
}

/** A vantage check's failure starts or stops counting toward its node's pending flag. */
export function countPending(record: CheckRecord): void {
  if (record.voter) record.voter.pendingChecks += record.pendingFailure ? 1 : -1
}

/** Nodes that can never be declared down: fewer vantage points than the quorum. */
export function weakNodes(m: HealthModel): string[] {
  const views = m.clusterSources.length
  const quorum = m.quorum
  return m.order
    .filter((node) => node.checks.length > 0)
    .filter(
      (node) => (node.own.length > 0 ? 1 : 0) + (node.served.length > 0 ? 1 : 0) + views < quorum,
    )
    .map(
      (node) =>
        `[health] node ${node.name} has fewer vantage points than monitor.node_down_quorum (${quorum}): it will never be declared down; its checks still report`,
    )
}

function addCheck(m: HealthModel, target: CheckTarget): void {
  const { inventory } = m
  const record = new CheckRecord(target, m.monitor.flap)
  if (target.service) record.storage = storageLabelOfService(inventory, target.service)
  m.checks.set(target.id, record)
  const node = m.nodes.get(target.node)
  if (!node) return
  node.checks.push(record)
  const service = target.service ? inventory.service(target.service) : undefined
  if (!isBuiltinKind(target.check.kind)) m.clusterSources.push(record)
  else if (target.scope === 'node') node.own.push(record)
  else if (service?.lvs || !service?.cluster) node.served.push(record)
  if (node.own.at(-1) === record || node.served.at(-1) === record) record.voter = node
}

function addService(m: HealthModel, name: string): void {
  const { inventory, checks } = m
  const service = inventory.service(name)!
  if (service.checks.length === 0 || service.real_servers.length === 0) return
  const record: ServiceRecord = {
    service,
    servers: service.real_servers.map((server) => ({
      node: server.node,
      checks: service.checks
        .map((check) => checks.get(`${service.name}/${server.node}/${check.name}`))
        .filter((check): check is CheckRecord => check !== undefined),
    })),
    minHealthy: defaultMinHealthy(service),
    announced: 'unknown',
    since: 0,
    storage: storageLabelOfService(inventory, name),
  }
  m.services.push(record)
  m.servicesByName.set(name, record)
  for (const server of record.servers) for (const check of server.checks) check.service = record
}

function newNode(name: string): NodeRecord {
  return {
    name,
    index: 0,
    parents: [],
    children: [],
    own: [],
    served: [],
    checks: [],
    announced: 'unknown',
    since: 0,
    pendingChecks: 0,
    pending: false,
  }
}
