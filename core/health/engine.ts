// The health engine: results in, transitions out (events and health_states rows). Pure: no timers, no I/O.
import type { HealthState, TandemEvent } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { LiveFacts } from '../plugin/index.ts'
import { type CheckTarget, isBuiltinKind, isPassing, type ProbeResult } from '../probe/index.ts'
import { BlindWatch } from './blind.ts'
import { CheckRecord } from './check-record.ts'
import { FactsBook, vmHealthRow } from './live-facts.ts'
import { dependencyOrder, type NodeRecord, tally } from './node-votes.ts'
import { type HealthRow, healthTarget } from './rows.ts'
import { assess, defaultMinHealthy, type ServiceRecord } from './service-health.ts'
import { type HealthSnapshot, snapshotOf } from './snapshot.ts'
import { factsFromRows, storageHealthRow, storageVerdicts } from './storage-health.ts'
import { storageLabelOfFacts, storageLabelOfService } from './storage-labels.ts'
import { Transitions } from './transitions.ts'

/** One probe result for the engine (the scheduler's CheckResult is one). */
export interface Observation {
  target: { id: string }
  result: ProbeResult
  at: number
}

export interface HealthEngineOptions {
  inventory: Inventory
  /** planTargets(inventory): the checks whose results will be observed. */
  targets: readonly CheckTarget[]
  /** health_states rows from the store: the engine resumes from them without re-announcing. */
  restore?: readonly HealthRow[]
  /**
   * The ids of the checks whose results this engine will see (a sharded instance probes only
   * its node groups); default every target. Blindness is judged once each has answered.
   */
  probed?: Iterable<string>
}

/** What one batch of results changed; empty in steady state. */
export interface HealthChanges {
  events: TandemEvent[]
  rows: HealthRow[]
}

export interface HealthEngine {
  /** Feeds a batch of results; returns only what changed. */
  observe(batch: readonly Observation[], now?: number): HealthChanges
  /** True while more than monitor.blind_threshold of all targets fail at once. */
  readonly blind: boolean
  snapshot(): HealthSnapshot
  /**
   * Another instance probes these checks now (a whole node group): their latest results stop
   * counting toward blindness, and their held verdicts are dropped. The rest is untouched.
   */
  release(ids: Iterable<string>): void
  /**
   * This instance probes these checks now (taken over): they, their nodes and their services
   * start again from the stored rows (`rows`: health_states), as the last owner left them.
   */
  adopt(ids: Iterable<string>, rows: readonly HealthRow[]): void
  /**
   * This instance records the shared rows (the monitor, the cluster, the cluster-wide probes'
   * checks; see CLUSTER_WIDE): take what the store says they are (`rows`, as stored now) as what
   * was announced, so the next results write what this instance sees where the store differs.
   * Another instance wrote them until now, or wrote them last before it died.
   */
  resyncShared(rows: readonly HealthRow[]): void
  /** Configuration that weakens a verdict, e.g. a node with fewer vantage points than the quorum. */
  readonly warnings: readonly string[]
}

/**
 * Builds the engine for an inventory. Feed it results (from the scheduler, the serverless
 * tick, or recorded events in `tandem simulate`); persist what it returns.
 *
 * @example
 * const engine = createHealthEngine({ inventory, targets: planTargets(inventory), restore: rows })
 * const { events, rows } = engine.observe(results)
 */
export function createHealthEngine(options: HealthEngineOptions): HealthEngine {
  const { inventory } = options
  const monitor = inventory.config.monitor
  const quorum = monitor.node_down_quorum
  const checks = new Map<string, CheckRecord>()
  const nodes = new Map<string, NodeRecord>()
  const services: ServiceRecord[] = []
  const servicesByName = new Map<string, ServiceRecord>()
  /** Rows of services with no checks (no record): what a facts-only write keeps. */
  const bareServices = new Map<string, { state: HealthState; since: number }>()
  const facts = new FactsBook()
  /** Each storage row as last written: its state, since when, and its detail (as JSON). */
  const storageRows = new Map<string, { state: HealthState; since: number; json: string }>()
  const clusterSources: CheckRecord[] = []
  /** The cluster sources that have delivered a membership view: vantage points of every node. */
  const clusterViews: CheckRecord[] = []
  const heldChecks = new Set<CheckRecord>()
  const heldNodes = new Set<NodeRecord>()
  const watch = new BlindWatch(monitor.blind_threshold)
  /** When the monitor last regained its sight: failures must be seen again after it. */
  let sightedAt = 0
  /** What the store's monitor row says (blind or not), as far as this instance knows. */
  let announcedBlind = false
  /** The cluster row last written (state and members), so it is written on change only. */
  let clusterKey = ''

  for (const node of inventory.config.nodes) nodes.set(node.name, newNode(node.name))
  const order = dependencyOrder(nodes, (name) => inventory.node(name)?.depends_on ?? [])
  for (const target of options.targets) addCheck(target)
  for (const service of inventory.config.services) addService(service.name)
  restore(options.restore ?? [])
  for (const id of options.probed ?? checks.keys()) {
    const record = checks.get(id)
    if (record) watch.expect(record)
  }
  const warnings = weakNodes()

  function addCheck(target: CheckTarget): void {
    const record = new CheckRecord(target, monitor.flap)
    if (target.service) record.storage = storageLabelOfService(inventory, target.service)
    checks.set(target.id, record)
    const node = nodes.get(target.node)
    if (!node) return
    node.checks.push(record)
    const service = target.service ? inventory.service(target.service) : undefined
    if (!isBuiltinKind(target.check.kind)) clusterSources.push(record)
    else if (target.scope === 'node') node.own.push(record)
    else if (service?.lvs || !service?.cluster) node.served.push(record)
    if (node.own.at(-1) === record || node.served.at(-1) === record) record.voter = node
  }

  function addService(name: string): void {
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
    services.push(record)
    servicesByName.set(name, record)
    for (const server of record.servers) for (const check of server.checks) check.service = record
  }

  function restore(rows: readonly HealthRow[]): void {
    const byTarget = new Map(rows.map((row) => [row.target, row]))
    for (const record of checks.values()) {
      const row = byTarget.get(record.target.id)
      if (row?.kind !== 'check') continue
      record.restore(row, row.detail)
      if (record.pendingFailure) countPending(record)
    }
    for (const node of nodes.values()) {
      const row = byTarget.get(healthTarget.node(node.name))
      if (row?.kind === 'node') {
        node.announced = row.state as HealthState
        node.since = row.since
      }
    }
    for (const service of inventory.config.services) {
      const row = byTarget.get(healthTarget.service(service.name))
      if (row?.kind !== 'service') continue
      const record = servicesByName.get(service.name)
      if (!record) bareServices.set(service.name, { state: row.state, since: row.since })
      else {
        record.announced = row.state
        record.since = row.since
        record.counts = countsOf(row.detail)
      }
    }
    facts.restore(rows)
    facts.restoreStorage(factsFromRows(rows, inventory))
    for (const row of rows)
      if (row.kind === 'storage')
        storageRows.set(row.target, {
          state: row.state,
          since: row.since,
          json: JSON.stringify(row.detail),
        })
    watch.blind = byTarget.get(healthTarget.monitor)?.state === 'down'
    announcedBlind = watch.blind
    const cluster = byTarget.get(healthTarget.cluster)
    if (cluster) clusterKey = keyOf(cluster.state, cluster.detail?.members)
  }

  function resyncShared(rows: readonly HealthRow[]): void {
    const byTarget = new Map(rows.map((row) => [row.target, row]))
    announcedBlind = byTarget.get(healthTarget.monitor)?.state === 'down'
    const cluster = byTarget.get(healthTarget.cluster)
    clusterKey = cluster ? keyOf(cluster.state, cluster.detail?.members) : ''
    for (const record of clusterSources) {
      const row = byTarget.get(record.target.id)
      if (row?.kind !== 'check' || record.flapping) continue
      record.announced = row.state
      record.since = row.since
      // Published again at its next result where it differs.
      heldChecks.add(record)
    }
  }

  function release(ids: Iterable<string>): void {
    for (const id of ids) {
      const record = checks.get(id)
      if (!record) continue
      watch.forget(record, record.passing)
      record.passing = undefined
      heldChecks.delete(record)
      // A whole node group moves, so its nodes' held verdicts are the new owner's to give.
      const node = nodes.get(record.target.node)
      if (node && isBuiltinKind(record.target.check.kind)) heldNodes.delete(node)
    }
  }

  function adopt(ids: Iterable<string>, rows: readonly HealthRow[]): void {
    const byTarget = new Map(rows.map((row) => [row.target, row]))
    const touched = new Set<NodeRecord>()
    const served = new Set<ServiceRecord>()
    for (const id of ids) {
      const record = checks.get(id)
      if (!record) continue
      release([id])
      if (record.pendingFailure && record.voter) record.voter.pendingChecks--
      record.reset()
      watch.expect(record)
      const row = byTarget.get(id)
      if (row?.kind === 'check') record.restore(row, row.detail)
      if (record.pendingFailure) countPending(record)
      const node = nodes.get(record.target.node)
      if (node) touched.add(node)
      if (record.service) served.add(record.service)
    }
    for (const node of touched) {
      heldNodes.delete(node)
      const row = byTarget.get(healthTarget.node(node.name))
      node.announced = row?.kind === 'node' ? (row.state as HealthState) : 'unknown'
      node.since = row?.kind === 'node' ? row.since : 0
    }
    for (const service of served) {
      const row = byTarget.get(healthTarget.service(service.service.name))
      service.announced = row?.kind === 'service' ? row.state : 'unknown'
      service.since = row?.kind === 'service' ? row.since : 0
      service.counts = row?.kind === 'service' ? countsOf(row.detail) : undefined
    }
  }

  function observe(batch: readonly Observation[], now = Date.now()): HealthChanges {
    const out = new Transitions(now)
    const touched: CheckRecord[] = []
    const factChanges = { services: new Set<string>(), vms: new Set<string>(), storage: false }
    let views = false
    for (const { target, result, at } of batch) {
      const record = checks.get(target.id)
      if (!record) continue
      if (result.facts || facts.knows(target.id)) learn(target.id, result.facts, now, factChanges)
      if (result.facts)
        record.storage = storageLabelOfFacts(inventory, result.facts) ?? record.storage
      watch.update(record, record.passing, isPassing(result.status))
      const wasPending = record.pendingFailure
      const softKey = record.softKey
      const flap = record.observe(result, at)
      if (wasPending !== record.pendingFailure) countPending(record)
      // Soft steps are stored too (a restart or a serverless tick resumes the count), and so is
      // every result while the flap window holds a change: the history survives exactly.
      if (
        record.historyMoved ||
        (record.softKey !== softKey && record.hard === record.announced && !record.flapping)
      )
        out.checkRow(record)
      if (record.viewsMembership && !clusterViews.includes(record)) clusterViews.push(record)
      if (flap) out.flapping(record, flap, record.service, monitor.flap)
      touched.push(record)
      if (record.viewsMembership) views = true
    }
    if (views) clusterRow(out)
    const sight = watch.evaluate((name) => {
      const node = nodes.get(name)
      return node !== undefined && isDownOrUnreachable(node)
    })
    if (sight === 'sighted') sightedAt = now
    // Against what the store says, not this instance's last change: the row may have been
    // written by another instance (the shared rows change hands) or left by one that died.
    if (watch.blind !== announcedBlind) {
      out.monitor(watch.blind ? 'blind' : 'sighted', watch.payload())
      announcedBlind = watch.blind
    }
    const dirtyNodes = new Set<NodeRecord>(heldNodes)
    if (views || sight) for (const node of nodes.values()) dirtyNodes.add(node)
    else for (const record of touched) addNode(dirtyNodes, record.target.node)
    const dirtyChecks = new Set<CheckRecord>([...touched, ...heldChecks])
    evaluateNodes(dirtyNodes, dirtyChecks, out)
    const dirtyServices = new Set<ServiceRecord>()
    for (const record of dirtyChecks) {
      if (publish(record, out) && record.service) dirtyServices.add(record.service)
    }
    // Before the service rows are written: the event's mark is part of the row.
    for (const name of facts.placed()) {
      const type = facts.placementEvent(name, isLiveMember)
      if (!type) continue
      factChanges.services.add(name)
      out.placement(name, type, facts.serviceDetail(name))
    }
    for (const service of dirtyServices) evaluateService(service, out)
    for (const name of factChanges.services)
      if (!out.has(healthTarget.service(name))) factsRow(name, out)
    for (const name of factChanges.vms) {
      const row = facts.vm(name)!
      out.vm(vmHealthRow(name, row, now), facts.vmEvent(name))
    }
    if (factChanges.storage) writeStorage(out, now)
    return out.result()
  }

  /** Rewrites the storage rows whose verdict changed (an export's failure changes its volumes). */
  function writeStorage(out: Transitions, now: number): void {
    for (const [name, verdict] of storageVerdicts(inventory, facts.storage())) {
      const row = storageHealthRow(name, verdict, now, now)
      const last = storageRows.get(row.target)
      const json = JSON.stringify(row.detail)
      if (last && last.state === row.state && last.json === json) continue
      const since = last && last.state === row.state ? last.since : now
      storageRows.set(row.target, { state: row.state, since, json })
      out.storage({ ...row, since: Math.round(since) })
    }
  }

  /** Takes a plugin probe's live facts; notes the inventory's services and VMs they changed. */
  function learn(
    source: string,
    reported: LiveFacts | undefined,
    now: number,
    changed: { services: Set<string>; vms: Set<string>; storage: boolean },
  ): void {
    const { services: names, vms, storage } = facts.apply(source, reported, now)
    if (storage) changed.storage = true
    for (const name of names) if (inventory.service(name)) changed.services.add(name)
    for (const name of vms) if (inventory.vm(name)) changed.vms.add(name)
  }

  /** A service row whose live facts changed while its health did not. */
  function factsRow(name: string, out: Transitions): void {
    const record = servicesByName.get(name)
    const bare = bareServices.get(name) ?? { state: 'unknown' as HealthState, since: out.now }
    bareServices.set(name, bare)
    const state = record ? record.announced : bare.state
    const since = (record ? record.since : bare.since) || out.now
    out.serviceRow(name, state, since, { ...record?.counts, ...facts.serviceDetail(name) })
  }

  function evaluateNodes(
    dirty: Set<NodeRecord>,
    dirtyChecks: Set<CheckRecord>,
    out: Transitions,
  ): void {
    let pass = [...dirty].sort((a, b) => a.index - b.index)
    while (pass.length > 0) {
      const next: NodeRecord[] = []
      for (const node of pass) {
        if (!evaluateNode(node, out)) continue
        for (const check of node.checks) dirtyChecks.add(check)
        for (const child of node.children) {
          next.push(child)
          for (const check of child.checks) dirtyChecks.add(check)
        }
      }
      pass = next.sort((a, b) => a.index - b.index)
    }
  }

  /** Re-counts a node's votes; true when its state or its pending flag changed. */
  function evaluateNode(node: NodeRecord, out: Transitions): boolean {
    const wasPending = node.pending
    node.pending = node.pendingChecks > 0
    const count = tally(node, clusterViews, quorum)
    let to = node.announced
    const parentsDown = node.parents.filter(isDownOrUnreachable).map((p) => p.name)
    heldNodes.delete(node)
    if (count.verdict === 'up') to = 'up'
    else if (count.verdict === 'down') {
      if (parentsDown.length > 0) to = 'unreachable'
      else if (mustWait(node) || !votesFresh(node)) heldNodes.add(node)
      else to = 'down'
    }
    if (to === node.announced) return wasPending !== node.pending
    out.node(node, to, { ...tally(node, clusterViews, quorum, true), quorum, parentsDown })
    node.announced = to
    node.since = out.now
    return true
  }

  /** Publishes a check's hard state unless flapping or held; true when the announced state changed. */
  function publish(record: CheckRecord, out: Transitions): boolean {
    heldChecks.delete(record)
    if (record.flapping || record.hard === 'unknown') return false
    let to = record.hard
    if (to === 'down') {
      const node = nodes.get(record.target.node)
      if (node && (node.announced === 'unreachable' || node.parents.some(isDownOrUnreachable)))
        to = 'unreachable'
      else if (
        record.passes > 0 ||
        (node && (mustWait(node) || record.lastAt <= notBefore(node)))
      ) {
        heldChecks.add(record)
        return false
      }
    }
    if (to === record.announced) return false
    out.check(record, to)
    record.announced = to
    record.since = record.lastAt || out.now
    return true
  }

  function evaluateService(service: ServiceRecord, out: Transitions): void {
    const verdict = assess(service)
    if (!verdict || verdict.to === service.announced) return
    out.service(service, verdict, { ...facts.serviceDetail(service.service.name) })
    const { healthy, total, minHealthy } = verdict
    service.counts = { healthy, total, minHealthy }
    service.announced = verdict.to
    service.since = out.now
  }

  /** Writes the cluster row from the freshest membership view, when quorum or members changed. */
  /** The newest membership view among the cluster's vantage points. */
  function latestView(): CheckRecord | undefined {
    let latest: CheckRecord | undefined
    for (const source of clusterViews)
      if (source.membership && (!latest || source.lastAt > latest.lastAt)) latest = source
    return latest
  }

  /** A member the cluster sees online and health judges up: back, whatever it went through. */
  function isLiveMember(name: string): boolean {
    return (
      latestView()?.membership?.members.get(name) === true && nodes.get(name)?.announced === 'up'
    )
  }

  function clusterRow(out: Transitions): void {
    const latest = latestView()
    const view = latest?.membership
    if (!view && !clusterViews.every((source) => source.hard === 'down')) return
    const state: HealthState =
      view?.quorate === true ? 'up' : view?.quorate === false ? 'down' : 'unknown'
    const members = view
      ? [...view.members]
          .filter(([, live]) => live)
          .map(([name]) => name)
          .sort()
      : []
    const key = keyOf(state, members)
    if (key === clusterKey) return
    clusterKey = key
    out.cluster(state, { members, source: latest?.target.id ?? null })
  }

  function countPending(record: CheckRecord): void {
    if (record.voter) record.voter.pendingChecks += record.pendingFailure ? 1 : -1
  }

  /** A blind monitor, or a parent about to be judged: wait rather than blame this node. */
  function mustWait(node: NodeRecord): boolean {
    return watch.blind || node.parents.some((p) => p.pending)
  }

  /**
   * Failures seen before the monitor regained its sight, or before a parent came back, say
   * nothing about this node: a down verdict needs results newer than that.
   */
  function notBefore(node: NodeRecord): number {
    let since = sightedAt
    for (const parent of node.parents)
      if (parent.announced === 'up' && parent.since > since) since = parent.since
    return since
  }

  function votesFresh(node: NodeRecord): boolean {
    const since = notBefore(node)
    if (since === 0) return true
    for (const check of [...node.own, ...node.served, ...clusterViews])
      if (check.lastAt <= since && (check.vote === 'down' || check.viewsMembership)) return false
    return true
  }

  function addNode(set: Set<NodeRecord>, name: string): void {
    const node = nodes.get(name)
    if (node) set.add(node)
  }

  function weakNodes(): string[] {
    const views = clusterSources.length
    return order
      .filter((node) => node.checks.length > 0)
      .filter(
        (node) => (node.own.length > 0 ? 1 : 0) + (node.served.length > 0 ? 1 : 0) + views < quorum,
      )
      .map(
        (node) =>
          `[health] node ${node.name} has fewer vantage points than monitor.node_down_quorum (${quorum}): it will never be declared down; its checks still report`,
      )
  }

  return {
    observe,
    release,
    adopt,
    resyncShared,
    get blind() {
      return watch.blind
    },
    snapshot: () =>
      snapshotOf({
        checks,
        nodes: order,
        services,
        blind: watch.blind,
        votes: (node) => tally(node, clusterViews, quorum, true).votes,
      }),
    warnings,
  }
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

function isDownOrUnreachable(node: NodeRecord): boolean {
  return node.announced === 'down' || node.announced === 'unreachable'
}

function countsOf(detail: Record<string, unknown> | null): ServiceRecord['counts'] {
  const { healthy, total, minHealthy } = detail ?? {}
  return typeof healthy === 'number' && typeof total === 'number' && typeof minHealthy === 'number'
    ? { healthy, total, minHealthy }
    : undefined
}

function keyOf(state: string, members: unknown): string {
  return `${state}|${Array.isArray(members) ? members.join(',') : ''}`
}
