// One check's state machine: rise/fall counting to hard states (Nagios soft/hard), flap history, evidence.
import type { CheckTarget, ProbeResult } from '../probe/index.ts'
import { isPassing } from '../probe/index.ts'
import type { HealthState, ProbeEvidence } from './events.ts'
import { FlapHistory } from './flap.ts'
import { type MembershipView, membershipOf } from './membership.ts'

/** Live state of one check target. `hard` is what rise/fall confirmed; `announced` what was said. */
export class CheckRecord {
  hard: HealthState = 'unknown'
  announced: HealthState = 'unknown'
  since = 0
  passes = 0
  fails = 0
  last: ProbeResult | undefined
  lastAt = 0
  /** The latest raw result passed (undefined before the first one): what blindness counts. */
  passing: boolean | undefined
  membership: MembershipView | undefined
  /** Set once this check's data was a membership view: it is a cluster vantage point from then on. */
  viewsMembership = false
  readonly flap: FlapHistory
  private readonly evidence: ProbeEvidence[] = []
  private readonly keep: number

  constructor(
    readonly target: CheckTarget,
    flap: { window: number; high: number; low: number },
  ) {
    this.flap = new FlapHistory(flap.window, flap.high, flap.low)
    this.keep = Math.max(target.check.rise, target.check.fall)
  }

  get flapping(): boolean {
    return this.flap.flapping
  }

  /** Counting toward a change not yet confirmed (Nagios' soft state). */
  get soft(): boolean {
    if (this.hard === 'up') return this.fails > 0
    if (this.hard === 'down') return this.passes > 0
    return true
  }

  /** A failure being counted while still up: the node's verdict may change within fall × interval. */
  get pendingFailure(): boolean {
    return this.hard !== 'down' && this.fails > 0
  }

  /**
   * What this check tells a node's vote: the announced state while flapping, `unknown` while a
   * down check is passing again (recovering), else its hard state.
   */
  get vote(): HealthState {
    if (this.flapping) return this.announced
    return this.hard === 'down' && this.passes > 0 ? 'unknown' : this.hard
  }

  /** Feeds one result; returns a flapping verdict change, if any. */
  observe(result: ProbeResult, at: number): 'start' | 'stop' | undefined {
    const pass = isPassing(result.status)
    this.last = result
    this.lastAt = at
    this.passing = pass
    this.evidence.push({
      target: this.target.id,
      status: result.status,
      latencyMs: result.latencyMs,
      detail: result.detail,
      at,
    })
    if (this.evidence.length > this.keep) this.evidence.shift()
    if (this.target.check.kind.includes('.')) {
      this.membership = membershipOf(result.data)
      if (this.membership) this.viewsMembership = true
    }
    const { rise, fall } = this.target.check
    if (pass) {
      this.passes++
      this.fails = 0
      if (this.hard !== 'up' && this.passes >= rise) this.hard = 'up'
    } else {
      this.fails++
      this.passes = 0
      if (this.hard !== 'down' && this.fails >= fall) this.hard = 'down'
    }
    return this.flap.push(pass)
  }

  /** The results that agreed on the current hard state, oldest first. */
  agreeing(): ProbeEvidence[] {
    const count = this.hard === 'up' ? this.passes : this.fails
    return this.evidence.slice(-Math.min(count, this.keep))
  }

  /** Restores announced and hard state from a stored row; counters start fresh. */
  restore(state: HealthState, since: number, flapping: boolean): void {
    this.announced = state
    this.since = since
    this.hard = state === 'unreachable' ? 'down' : state
    this.flap.flapping = flapping
  }
}
