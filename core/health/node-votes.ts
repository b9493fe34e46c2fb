// Node verdicts from several vantage points: its own checks, its real servers, the cluster's membership.
import type { HealthState, VantageVote } from '../events/index.ts'
import type { CheckRecord } from './check-record.ts'

/** Live state of one node and what its vantage points said last. */
export interface NodeRecord {
  name: string
  /** Position in dependency order: parents come before their children. */
  index: number
  parents: NodeRecord[]
  children: NodeRecord[]
  /** The node's own built-in checks (tcp, ping, ...): the monitor's vantage point. */
  own: CheckRecord[]
  /** Real-server checks of LVS services on the node (every one of them should answer). */
  served: CheckRecord[]
  /** Every check that runs against this node. */
  checks: CheckRecord[]
  announced: HealthState
  since: number
  /** How many vantage checks (own, served) count failures not yet confirmed. */
  pendingChecks: number
  /** A vantage check is counting failures: the verdict may change within fall × interval. */
  pending: boolean
}

/** The outcome of one count: the votes, and the verdict they support (undefined: no change). */
export interface Tally {
  votes: VantageVote[]
  down: number
  up: number
  verdict: 'up' | 'down' | undefined
}

/**
 * Counts the vantage points. Down needs `quorum` of them saying down; up needs one saying up
 * and fewer than `quorum` saying down; otherwise the node keeps its state. Evidence (the
 * check states behind each vote) is only spelled out when asked for: a transition or a
 * snapshot, never the steady state.
 */
export function tally(
  node: NodeRecord,
  clusterViews: readonly CheckRecord[],
  quorum: number,
  evidence = false,
): Tally {
  const votes: VantageVote[] = []
  if (node.own.length > 0) votes.push(checksVote('monitor', node.own, evidence))
  if (node.served.length > 0) votes.push(checksVote('services', node.served, evidence))
  for (const source of clusterViews) votes.push(clusterVote(source, node.name))
  let down = 0
  let up = 0
  for (const vote of votes) {
    if (vote.verdict === 'down') down++
    else if (vote.verdict === 'up') up++
  }
  const verdict = down >= quorum ? 'down' : up > 0 ? 'up' : undefined
  return { votes, down, up, verdict }
}

/** Orders nodes so every parent comes before its children; a dependency cycle is cut, not followed. */
export function dependencyOrder(
  nodes: Map<string, NodeRecord>,
  dependsOn: (name: string) => string[],
): NodeRecord[] {
  const order: NodeRecord[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (node: NodeRecord) => {
    if (state.get(node.name)) return
    state.set(node.name, 'visiting')
    for (const name of dependsOn(node.name)) {
      const parent = nodes.get(name)
      if (!parent || state.get(name) === 'visiting') continue
      visit(parent)
      node.parents.push(parent)
      parent.children.push(node)
    }
    state.set(node.name, 'done')
    node.index = order.length
    order.push(node)
  }
  for (const node of nodes.values()) visit(node)
  return order
}

function checksVote(vantage: string, checks: CheckRecord[], evidence: boolean): VantageVote {
  let verdict: VantageVote['verdict'] = 'down'
  for (const check of checks) {
    const state = voteOf(check)
    if (state === 'up') {
      verdict = 'up'
      break
    }
    if (state !== 'down') verdict = 'none'
  }
  const detail = evidence ? checks.map((check) => `${check.target.id}=${voteOf(check)}`) : []
  return { vantage, verdict, evidence: detail }
}

/**
 * A check's vote, where `up` needs a result this engine saw (lastAt is 0 after a restore or a
 * take-over until the first one). A stored `up` may be older than the node's stored `down`: a
 * daemon killed after storing node.down but before its last soft failure made the check hard
 * down leaves exactly that, and counting it brought a powered-off node "back" (a node.up that
 * voided its fence). The cluster's vote already needs a live membership view.
 */
function voteOf(check: CheckRecord): CheckRecord['vote'] {
  const vote = check.vote
  return vote === 'up' && check.lastAt === 0 ? 'unknown' : vote
}

function clusterVote(source: CheckRecord, node: string): VantageVote {
  const vantage = `cluster:${source.target.id}`
  const view = source.passing ? source.membership : undefined
  if (!view) return { vantage, verdict: 'none', evidence: ['no membership view'] }
  if (view.quorate === false) return { vantage, verdict: 'none', evidence: ['view is inquorate'] }
  const member = view.members.get(node)
  if (member === undefined) return { vantage, verdict: 'none', evidence: [`${node} not listed`] }
  return {
    vantage,
    verdict: member ? 'up' : 'down',
    evidence: [`${node} ${member ? 'online' : 'offline'}`],
  }
}
