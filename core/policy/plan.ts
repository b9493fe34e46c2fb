// A plan: what one policy match would do, every template resolved; the executor's only input.
import type { TandemEvent } from '../events/index.ts'
import type { PlannedCommand } from '../plugin/index.ts'
import type { GuestHost } from './view-types.ts'

export type OnFailure = 'abort' | 'continue' | 'escalate'

/** One concrete step (a `foreach` is already expanded into one step per item). */
export interface PlanStep {
  /** Stable within the run: `2` or, for foreach items, `2.0`, `2.1` ... (idempotency keys use it). */
  id: string
  name: string
  uses: string
  input: Record<string, unknown>
  /** What `describe` said it would run. */
  commands: PlannedCommand[]
  timeoutMs: number
  retry: { count: number; backoffMs: number }
  verify: boolean
  onFailure: OnFailure
  /** Items of one foreach share a group; at most `concurrency` of them run at once. */
  group?: string
  concurrency?: number
  /**
   * Why this step could not be planned: a template failed, an input is invalid, a name is not
   * in the inventory. `input` is then empty. The executor must not run such a step: it fails
   * it with this message, and `onFailure` decides what happens next.
   */
  error?: string
  /** `describe` failed (e.g. a state read was refused or timed out): `commands` is empty. */
  describeError?: string
}

/** A step that produced no plan steps, e.g. a foreach over an empty list. */
export interface SkippedStep {
  id: string
  name: string
  reason: string
}

/** Limits the executor enforces before and while running a plan. */
export interface Guards {
  cooldownMs?: number
  maxRuns?: { count: number; windowMs: number }
  concurrency?: number
  /** At most this share (0–100) of an LVS service's real servers may be drained at once. */
  maxDrainedPercent?: number
  maxFences?: { count: number; windowMs: number }
  /** No destructive step without cluster quorum (default true). */
  requireQuorum: boolean
  /** Hold actions on targets inside a maintenance window (default true). */
  maintenanceAware: boolean
  approval: 'required' | 'none'
  approvalTtlMs?: number
}

export type NoticeMoment = 'started' | 'succeeded' | 'failed' | 'blocked'

export interface NotifySpec {
  channels: string[]
  on: NoticeMoment[]
  /** Trigger labels naming what the incident's thread covers (policy `notify.covers`). */
  covers?: string[]
}

export interface Plan {
  policy: string
  file: string
  event: TandemEvent
  /** Runs for the same problem share an incident, e.g. `node.down:node2`. */
  incidentKey: string
  steps: PlanStep[]
  guards: Guards
  notify: NotifySpec
  dryRun: boolean
  /** Steps of the policy that expanded to nothing, so a plan reader sees why. */
  skipped?: SkippedStep[]
  /**
   * For a policy that reads `health.owners`: where each cluster service was taken to run when
   * the plan was made, and on whose word: `cluster` (the cluster manager, live) or `preferred`
   * (no live data: its first preferred node, a guess). `node` is `""` when it runs nowhere.
   */
  owners?: Record<string, { node: string; source: 'cluster' | 'preferred' }>
  /**
   * For a policy that reads where guests run (`inventory.nodes[n].guests`, `inventory.vms[v].host`):
   * each VM's node when the plan was made, and on whose word: `probe` (the `xen.domains` probe,
   * live; while its host does not answer, the last host seen running it) or `declared` (no live
   * data: the inventory's `host`). `node` is `""` when every host answered and none runs it.
   */
  guests?: Record<string, GuestHost>
}
