// The health engine: results in, transitions out (events and health_states rows). Pure: no timers, no I/O.
import type { TandemEvent } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { CheckTarget } from '../probe/index.ts'
import type { CheckRecord } from './check-record.ts'
import { clusterRow, isLiveMember } from './cluster-row.ts'
import { serviceFactsRow, storageRows } from './fact-rows.ts'
import { vmHealthRow } from './live-facts.ts'
import { buildModel, weakNodes } from './model.ts'
import { type NodeRecord, tally } from './node-votes.ts'
import { type Observation, takeResults } from './results.ts'
import { adoptChecks, releaseChecks, restoreRows, resyncFacts, resyncShared } from './resume.ts'
import { type HealthRow, healthTarget } from './rows.ts'
import type { ServiceRecord } from './service-health.ts'
import { judgeSight } from './sight.ts'
import { type HealthSnapshot, snapshotOf } from './snapshot.ts'
import { Transitions } from './transitions.ts'
import { judgeNodes, judgeService, publishCheck } from './verdicts.ts'

export type { Observation }

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
  /** Counts the changes of the live facts: read it before reading the rows for resyncFacts. */
  readonly factsVersion: number
  /**
   * The stored rows of services, VMs and storage (`rows`, read after `factsVersion` gave
   * `since`) become what was written, so the next results write what this instance sees where
   * the store differs: facts learned while another instance recorded the rows, or rows it wrote.
   */
  resyncFacts(rows: readonly HealthRow[], since: number): void
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
  const m = buildModel(options.inventory, options.targets)
  restoreRows(m, options.restore ?? [])
  for (const id of options.probed ?? m.checks.keys()) {
    const record = m.checks.get(id)
    if (record) m.watch.expect(record)
  }

  /** The loop of DESIGN.md for one batch: results → sight → verdicts → rows and events. */
  function observe(batch: readonly Observation[], now = Date.now()): HealthChanges {
    const out = new Transitions(now)
    const taken = takeResults(m, batch, out, now)
    if (taken.views) clusterRow(m, out)
    const sight = judgeSight(m, out, now)
    const dirtyNodes = new Set<NodeRecord>(m.heldNodes)
    if (taken.views || sight) for (const node of m.nodes.values()) dirtyNodes.add(node)
    else
      for (const record of taken.touched) {
        const node = m.nodes.get(record.target.node)
        if (node) dirtyNodes.add(node)
      }
    const dirtyChecks = new Set<CheckRecord>([...taken.touched, ...m.heldChecks])
    judgeNodes(m, dirtyNodes, dirtyChecks, out)
    const dirtyServices = new Set<ServiceRecord>()
    for (const record of dirtyChecks) {
      if (publishCheck(m, record, out) && record.service) dirtyServices.add(record.service)
    }
    // Before the service rows are written: the event's mark is part of the row.
    for (const name of m.facts.placed()) {
      const type = m.facts.placementEvent(name, (member) => isLiveMember(m, member))
      if (!type) continue
      taken.facts.services.add(name)
      out.placement(name, type, m.facts.serviceDetail(name))
    }
    for (const service of dirtyServices) judgeService(m, service, out)
    for (const name of taken.facts.services)
      if (!out.has(healthTarget.service(name))) serviceFactsRow(m, name, out)
    for (const name of taken.facts.vms) {
      const row = m.facts.vm(name)!
      out.vm(vmHealthRow(name, row, now), m.facts.vmEvent(name))
    }
    if (taken.facts.storage || m.storageStale) {
      m.storageStale = false
      storageRows(m, out, now)
    }
    return out.result()
  }

  return {
    observe,
    release: (ids) => releaseChecks(m, ids),
    adopt: (ids, rows) => adoptChecks(m, ids, rows),
    resyncShared: (rows) => resyncShared(m, rows),
    get factsVersion() {
      return m.facts.version
    },
    resyncFacts: (rows, since) => resyncFacts(m, rows, since),
    get blind() {
      return m.watch.blind
    },
    snapshot: () =>
      snapshotOf({
        checks: m.checks,
        nodes: m.order,
        services: m.services,
        blind: m.watch.blind,
        votes: (node) => tally(node, m.clusterViews, m.quorum, true).votes,
      }),
    warnings: weakNodes(m),
  }
}
