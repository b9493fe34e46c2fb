// Self-suspicion: when most targets fail at once, the likelier fault is tandem's own network or probes.
import type { BlindEventPayload } from '../events/index.ts'
import type { CheckRecord } from './check-record.ts'

/** Leaving blindness needs the failing share to fall well below the threshold (hysteresis). */
const SIGHTED_FACTOR = 0.75
const SAMPLE = 5

/**
 * Counts failing targets incrementally (latest raw result, not hard state: blindness must be
 * seen before the fall thresholds turn it into a wave of node.down verdicts).
 *
 * No verdict, either way, until every check probed here has answered once: right after a
 * start the first answers are whichever came back fastest (a refused connection beats a
 * healthy HTTP reply), and a verdict on them called a restarted daemon blind in its first
 * second, refusing the failover it had to resume.
 */
export class BlindWatch {
  blind = false
  private failing = 0
  private seen = 0
  private readonly failingByNode = new Map<string, number>()
  /** Checks with a result, per node: a node already judged down leaves the count whole. */
  private readonly seenByNode = new Map<string, number>()
  private readonly failingChecks = new Set<CheckRecord>()
  /** Checks probed here that have not answered since they were expected (start, takeover). */
  private readonly unheard = new Set<CheckRecord>()
  private counted: Counted | undefined

  constructor(private readonly threshold: number) {}

  /** This instance probes `check` now: no verdict until it has answered once. */
  expect(check: CheckRecord): void {
    if (check.passing === undefined) this.unheard.add(check)
  }

  /** Call before a check records a result, with its previous and new pass/fail. */
  update(check: CheckRecord, before: boolean | undefined, after: boolean): void {
    if (before === undefined) {
      this.seen++
      bump(this.seenByNode, check.target.node, 1)
      this.unheard.delete(check)
    }
    if (before === after) return
    const node = check.target.node
    if (after === false) {
      this.failing++
      this.failingChecks.add(check)
      this.failingByNode.set(node, (this.failingByNode.get(node) ?? 0) + 1)
    } else if (before === false) {
      this.failing--
      this.failingChecks.delete(check)
      const left = (this.failingByNode.get(node) ?? 1) - 1
      if (left === 0) this.failingByNode.delete(node)
      else this.failingByNode.set(node, left)
    }
  }

  /** A check handed to another instance: its latest result no longer counts here. */
  forget(check: CheckRecord, before: boolean | undefined): void {
    this.unheard.delete(check)
    if (before === undefined) return
    if (before === false) this.update(check, false, true)
    this.seen--
    bump(this.seenByNode, check.target.node, -1)
  }

  /**
   * Blind when more than `threshold` of the targets with a result fail, across more than one
   * node (one dead node is a dead node, not a blind monitor). Nodes already judged down are left
   * out: a fenced node's failing checks, with a few slow answers elsewhere, held every step of
   * its failover as monitor_blind, and blindness never cleared while the node stayed dead.
   * Returns the change, if any.
   */
  evaluate(isDown: (node: string) => boolean = () => false): 'blind' | 'sighted' | undefined {
    if (this.unheard.size > 0) return undefined
    this.counted = this.count(isDown)
    const { nodes } = this.counted
    const fraction = share(this.counted)
    if (!this.blind && fraction > this.threshold && nodes >= 2) {
      this.blind = true
      return 'blind'
    }
    if (this.blind && fraction <= this.threshold * SIGHTED_FACTOR) {
      this.blind = false
      return 'sighted'
    }
    return undefined
  }

  /** What the last verdict counted, so the notice's numbers are the ones it was judged on. */
  payload(): BlindEventPayload {
    const sample: string[] = []
    for (const check of this.failingChecks) {
      if (sample.length >= SAMPLE) break
      sample.push(check.target.id)
    }
    const counted = this.counted ?? this.count(() => false)
    return {
      failing: counted.failing,
      total: counted.seen,
      fraction: Math.round(share(counted) * 1000) / 1000,
      threshold: this.threshold,
      nodes: counted.nodes,
      sample,
    }
  }

  private count(isDown: (node: string) => boolean): Counted {
    let failing = this.failing
    let seen = this.seen
    for (const [node, count] of this.seenByNode)
      if (isDown(node)) {
        seen -= count
        failing -= this.failingByNode.get(node) ?? 0
      }
    const failingNodes = [...this.failingByNode.keys()].filter((node) => !isDown(node)).length
    // One node whose every check fails is a dead node, not blindness, before it is judged down
    // too: a blind monitor holds that verdict, so the dead node's checks, with one unrelated
    // failure elsewhere, kept it blind for as long as the node stayed dead (its failover held).
    // Two or more dark nodes still count whole: that is what tandem cut off looks like.
    const dark = [...this.failingByNode].filter(
      ([node, count]) => !isDown(node) && count === this.seenByNode.get(node),
    )
    if (dark.length === 1) {
      const [, count] = dark[0]!
      seen -= count
      failing -= count
    }
    return { failing, seen, nodes: failingNodes }
  }
}

interface Counted {
  failing: number
  seen: number
  /** Nodes with a failing check, those already judged down left out. */
  nodes: number
}

function share({ failing, seen }: Counted): number {
  return seen <= 0 ? 0 : failing / seen
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by
  if (next === 0) counts.delete(key)
  else counts.set(key, next)
}
