// One check's state machine: rise/fall counting to hard states (Nagios soft/hard), flap history, evidence.
import type { HealthState, ProbeEvidence } from '../events/index.ts'
import type { CheckTarget, ProbeResult } from '../probe/index.ts'
import { isPassing } from '../probe/index.ts'
import { FlapHistory } from './flap.ts'
import { type MembershipView, membershipOf } from './membership.ts'
import type { NodeRecord } from './node-votes.ts'
import type { ServiceRecord } from './service-health.ts'

/** Live state of one check target. `hard` is what rise/fall confirmed; `announced` what was said. */
export class CheckRecord {
  hard: HealthState = 'unknown'
  announced: HealthState = 'unknown'
  since = 0
  passes = 0
  fails = 0
  /** The latest result, copied: holding the result object itself would age it into the old heap. */
  lastStatus: ProbeResult['status'] | undefined
  lastDetail = ''
  lastLatencyMs = 0
  lastAt = 0
  /** The latest raw result passed (undefined before the first one): what blindness counts. */
  passing: boolean | undefined
  membership: MembershipView | undefined
  /** Set once this check's data was a membership view: it is a cluster vantage point from then on. */
  viewsMembership = false
  /** The node whose vote this check is part of (own and real-server checks of LVS services). */
  voter: NodeRecord | undefined
  /** The service whose health this check feeds. */
  service: ServiceRecord | undefined
  /** The shared storage it is about or stands on (storage-labels.ts): its events' `storage` label. */
  storage: string | undefined
  readonly flap: FlapHistory
  /**
   * The latest result changed the flap history in a way the store must learn: a change of
   * state, or a result while the window still holds one. A settled history stays as stored.
   */
  historyMoved = false
  /**
   * The last `keep` results, flattened as (status, latencyMs, detail, at) in a ring, oldest at
   * `next` once full: no object per result (10,000 checks × rise/fall slots add up).
   */
  private readonly evidence: (string | number)[] = []
  private stored = 0
  private next = 0
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
    this.lastStatus = result.status
    this.lastDetail = result.detail
    this.lastLatencyMs = result.latencyMs
    this.lastAt = at
    this.passing = pass
    this.remember(result, at)
    if (this.target.check.kind.includes('.')) {
      this.membership = membershipOf(result.data)
      if (this.membership) this.viewsMembership = true
    }
    const { rise, fall } = this.target.check
    // Counters saturate, so a check that keeps passing (or failing) stops changing state at all.
    if (pass) {
      if (this.passes < this.keep) this.passes++
      this.fails = 0
      if (this.hard !== 'up' && this.passes >= rise) this.hard = 'up'
    } else {
      if (this.fails < this.keep) this.fails++
      this.passes = 0
      if (this.hard !== 'down' && this.fails >= fall) this.hard = 'down'
    }
    const settled = this.flap.settled
    const verdict = this.flap.push(pass)
    this.historyMoved = !settled || !this.flap.settled
    return verdict
  }

  /** The results that agreed on the current hard state, oldest first (copies). */
  agreeing(): ProbeEvidence[] {
    const size = this.stored
    const count = Math.min(this.hard === 'up' ? this.passes : this.fails, size)
    const e = this.evidence
    const out: ProbeEvidence[] = []
    for (let i = size - count; i < size; i++) {
      const k = ((this.next + i) % size) * 4
      out.push({
        target: this.target.id,
        status: e[k] as ProbeResult['status'],
        latencyMs: e[k + 1] as number,
        detail: e[k + 2] as string,
        at: e[k + 3] as number,
      })
    }
    return out
  }

  private remember(result: ProbeResult, at: number): void {
    let slot = this.next
    if (this.stored < this.keep) slot = this.stored++
    else this.next = (this.next + 1) % this.keep
    const k = slot * 4
    this.evidence[k] = result.status
    this.evidence[k + 1] = result.latencyMs
    this.evidence[k + 2] = result.detail
    this.evidence[k + 3] = at
  }

  /**
   * Where the soft state stands, as stored: changes only while counting toward a new hard
   * state (Nagios' soft states), never while a check keeps its state. A check still unknown
   * stores its count too (rise-1 writes per check at the very start), so a tick that restores
   * the engine from the store on every call (the serverless entry) can reach a first verdict.
   */
  get softKey(): string {
    if (this.hard === 'unknown') return `unknown/passes=${this.passes}/fails=${this.fails}`
    if (!this.soft) return this.hard
    return this.hard === 'up' ? `up/fails=${this.fails}` : `down/passes=${this.passes}`
  }

  /**
   * Forgets everything seen (a check taken over from another instance starts from its stored
   * row, not from what this instance saw when it last owned it).
   */
  reset(): void {
    this.hard = 'unknown'
    this.announced = 'unknown'
    this.since = 0
    this.passes = 0
    this.fails = 0
    this.lastStatus = undefined
    this.lastDetail = ''
    this.lastLatencyMs = 0
    this.lastAt = 0
    this.passing = undefined
    this.membership = undefined
    this.historyMoved = false
    this.flap.flapping = false
    this.flap.restore(null)
    this.stored = 0
    this.next = 0
  }

  /**
   * Restores announced and hard state, the soft counters and the flap history from a stored
   * row. `detail.hard` is there only when the hard state differs from the announced one (a
   * flapping or held check); else the hard state is the announced one.
   */
  restore(
    row: { state: HealthState; since: number; flapping: boolean; flapHistory?: string | null },
    detail: { passes?: unknown; fails?: unknown; hard?: unknown } | null,
  ): void {
    this.announced = row.state
    this.since = row.since
    this.hard = HARD.has(detail?.hard) ? (detail?.hard as HealthState) : hardOf(row.state)
    this.flap.flapping = row.flapping
    this.flap.restore(row.flapHistory)
    this.passes = counter(detail?.passes, this.keep)
    this.fails = counter(detail?.fails, this.keep)
  }
}

const HARD = new Set<unknown>(['up', 'down', 'unknown'])

/** The hard state behind an announced one: an unreachable check is down underneath. */
export function hardOf(announced: HealthState): HealthState {
  return announced === 'unreachable' ? 'down' : announced
}

function counter(value: unknown, max: number): number {
  return typeof value === 'number' && Number.isInteger(value)
    ? Math.min(Math.max(value, 0), max)
    : 0
}
