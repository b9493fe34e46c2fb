// Verdicts from the observed checks: nodes by vantage votes, checks published or held, services by their servers.
import type { HealthState } from '../events/index.ts'
import type { CheckRecord } from './check-record.ts'
import type { HealthModel } from './model.ts'
import { type NodeRecord, tally } from './node-votes.ts'
import { assess, type ServiceRecord } from './service-health.ts'
import type { Transitions } from './transitions.ts'

/**
 * Judges the dirty nodes in dependency order; a node whose verdict changed makes its checks
 * and its children (and theirs) dirty too, so a parent's fall is seen by everything below it.
 */
export function judgeNodes(
  m: HealthModel,
  dirty: Set<NodeRecord>,
  dirtyChecks: Set<CheckRecord>,
  out: Transitions,
): void {
  let pass = [...dirty].sort((a, b) => a.index - b.index)
  while (pass.length > 0) {
    const next: NodeRecord[] = []
    for (const node of pass) {
      if (!judgeNode(m, node, out)) continue
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
export function judgeNode(m: HealthModel, node: NodeRecord, out: Transitions): boolean {
  const { quorum, clusterViews, heldNodes } = m
  const wasPending = node.pending
  node.pending = node.pendingChecks > 0
  const count = tally(node, clusterViews, quorum)
  let to = node.announced
  const parentsDown = node.parents.filter(isDownOrUnreachable).map((p) => p.name)
  heldNodes.delete(node)
  if (count.verdict === 'up') to = 'up'
  else if (count.verdict === 'down') {
    if (parentsDown.length > 0) to = 'unreachable'
    else if (mustWait(m, node) || !votesFresh(m, node)) heldNodes.add(node)
    else to = 'down'
  }
  if (to === node.announced) return wasPending !== node.pending
  out.node(node, to, { ...tally(node, clusterViews, quorum, true), quorum, parentsDown })
  node.announced = to
  node.since = out.now
  return true
}

/** Publishes a check's hard state unless flapping or held; true when the announced state changed. */
export function publishCheck(m: HealthModel, record: CheckRecord, out: Transitions): boolean {
  m.heldChecks.delete(record)
  if (record.flapping || record.hard === 'unknown') return false
  let to = record.hard
  if (to === 'down') {
    const node = m.nodes.get(record.target.node)
    if (node && (node.announced === 'unreachable' || node.parents.some(isDownOrUnreachable)))
      to = 'unreachable'
    else if (
      record.passes > 0 ||
      (node && (mustWait(m, node) || record.lastAt <= notBefore(m, node)))
    ) {
      m.heldChecks.add(record)
      return false
    }
  }
  if (to === record.announced) return false
  out.check(record, to)
  record.announced = to
  record.since = record.lastAt || out.now
  return true
}

/** Announces a service's new state (up, degraded, down) once every real server has one. */
export function judgeService(m: HealthModel, service: ServiceRecord, out: Transitions): void {
  const verdict = assess(service)
  if (!verdict || verdict.to === service.announced) return
  out.service(service, verdict, { ...m.facts.serviceDetail(service.service.name) })
  const { healthy, total, minHealthy } = verdict
  service.counts = { healthy, total, minHealthy }
  service.announced = verdict.to
  service.since = out.now
}

export function isDownOrUnreachable(node: { announced: HealthState }): boolean {
  return node.announced === 'down' || node.announced === 'unreachable'
}

/** A blind monitor, or a parent about to be judged: wait rather than blame this node. */
function mustWait(m: HealthModel, node: NodeRecord): boolean {
  return m.watch.blind || node.parents.some((p) => p.pending)
}

/**
 * Failures seen before the monitor regained its sight, or before a parent came back, say
 * nothing about this node: a down verdict needs results newer than that.
 */
function notBefore(m: HealthModel, node: NodeRecord): number {
  let since = m.sightedAt
  for (const parent of node.parents)
    if (parent.announced === 'up' && parent.since > since) since = parent.since
  return since
}

function votesFresh(m: HealthModel, node: NodeRecord): boolean {
  const since = notBefore(m, node)
  if (since === 0) return true
  for (const check of [...node.own, ...node.served, ...m.clusterViews])
    if (check.lastAt <= since && (check.vote === 'down' || check.viewsMembership)) return false
  return true
}
