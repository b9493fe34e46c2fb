// Resuming from stored rows: at start, when checks change hands between instances, and for the shared rows.
import type { HealthState } from '../events/index.ts'
import { isBuiltinKind } from '../probe/index.ts'
import { clusterKeyOf } from './cluster-row.ts'
import { countPending, type HealthModel } from './model.ts'
import type { NodeRecord } from './node-votes.ts'
import { type HealthRow, healthTarget } from './rows.ts'
import type { ServiceRecord } from './service-health.ts'
import { factsFromRows } from './storage-health.ts'

/** Takes the stored rows as what was announced, so nothing is announced again. */
export function restoreRows(m: HealthModel, rows: readonly HealthRow[]): void {
  const byTarget = new Map(rows.map((row) => [row.target, row]))
  for (const record of m.checks.values()) {
    const row = byTarget.get(record.target.id)
    if (row?.kind !== 'check') continue
    record.restore(row, row.detail)
    if (record.pendingFailure) countPending(record)
  }
  for (const node of m.nodes.values()) {
    const row = byTarget.get(healthTarget.node(node.name))
    if (row?.kind === 'node') {
      node.announced = row.state as HealthState
      node.since = row.since
    }
  }
  for (const service of m.inventory.config.services) {
    const row = byTarget.get(healthTarget.service(service.name))
    if (row?.kind !== 'service') continue
    const record = m.servicesByName.get(service.name)
    if (!record) m.bareServices.set(service.name, { state: row.state, since: row.since })
    else {
      record.announced = row.state
      record.since = row.since
      record.counts = countsOf(row.detail)
    }
  }
  m.facts.restore(rows)
  m.facts.restoreStorage(factsFromRows(rows, m.inventory))
  takeStorageRows(m, rows)
  m.watch.blind = byTarget.get(healthTarget.monitor)?.state === 'down'
  m.announcedBlind = m.watch.blind
  const cluster = byTarget.get(healthTarget.cluster)
  if (cluster) m.clusterKey = clusterKeyOf(cluster.state, cluster.detail?.members)
}

/** The shared rows as the store has them now become what this instance announced. */
export function resyncShared(m: HealthModel, rows: readonly HealthRow[]): void {
  const byTarget = new Map(rows.map((row) => [row.target, row]))
  m.announcedBlind = byTarget.get(healthTarget.monitor)?.state === 'down'
  const cluster = byTarget.get(healthTarget.cluster)
  m.clusterKey = cluster ? clusterKeyOf(cluster.state, cluster.detail?.members) : ''
  for (const record of m.clusterSources) {
    const row = byTarget.get(record.target.id)
    if (row?.kind !== 'check' || record.flapping) continue
    record.announced = row.state
    record.since = row.since
    // Published again at its next result where it differs.
    m.heldChecks.add(record)
  }
}

/**
 * The rows live facts fill (services, VMs, storage) as the store has them now become what this
 * instance wrote, where its facts did not change since `since` (FactsBook.version before the
 * rows were read). What it sees otherwise is written at the next results: another instance
 * wrote these rows until now, or this one learned the facts while another recorded them.
 */
export function resyncFacts(m: HealthModel, rows: readonly HealthRow[], since: number): void {
  if (!m.facts.restore(rows, since)) return
  takeStorageRows(m, rows)
  m.storageStale = true
}

function takeStorageRows(m: HealthModel, rows: readonly HealthRow[]): void {
  m.storageRows.clear()
  for (const row of rows)
    if (row.kind === 'storage')
      m.storageRows.set(row.target, {
        state: row.state,
        since: row.since,
        json: JSON.stringify(row.detail),
      })
}

/** Another instance probes these checks now: they stop counting here, their holds are dropped. */
export function releaseChecks(m: HealthModel, ids: Iterable<string>): void {
  for (const id of ids) {
    const record = m.checks.get(id)
    if (!record) continue
    m.watch.forget(record, record.passing)
    record.passing = undefined
    m.heldChecks.delete(record)
    // A whole node group moves, so its nodes' held verdicts are the new owner's to give.
    const node = m.nodes.get(record.target.node)
    if (node && isBuiltinKind(record.target.check.kind)) m.heldNodes.delete(node)
  }
}

/** This instance probes these checks now: they, their nodes and services resume from `rows`. */
export function adoptChecks(
  m: HealthModel,
  ids: Iterable<string>,
  rows: readonly HealthRow[],
): void {
  const byTarget = new Map(rows.map((row) => [row.target, row]))
  const touched = new Set<NodeRecord>()
  const served = new Set<ServiceRecord>()
  for (const id of ids) {
    const record = m.checks.get(id)
    if (!record) continue
    releaseChecks(m, [id])
    if (record.pendingFailure && record.voter) record.voter.pendingChecks--
    record.reset()
    m.watch.expect(record)
    const row = byTarget.get(id)
    if (row?.kind === 'check') record.restore(row, row.detail)
    if (record.pendingFailure) countPending(record)
    const node = m.nodes.get(record.target.node)
    if (node) touched.add(node)
    if (record.service) served.add(record.service)
  }
  for (const node of touched) {
    m.heldNodes.delete(node)
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

function countsOf(detail: Record<string, unknown> | null): ServiceRecord['counts'] {
  const { healthy, total, minHealthy } = detail ?? {}
  return typeof healthy === 'number' && typeof total === 'number' && typeof minHealthy === 'number'
    ? { healthy, total, minHealthy }
    : undefined
}
