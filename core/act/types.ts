// What the executor needs from the daemon (clock, cluster view, notice sink) and what it reports.
import type { Inventory, SecretResolver } from '../inventory/index.ts'
import type { Metrics } from '../metrics/index.ts'
import type { CommandRunner, Logger } from '../plugin/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import type { NoticeMoment } from '../policy/index.ts'
import type { Store } from '../store/index.ts'
import type { RunApproval } from './approvals.ts'

/** Time as the executor sees it; tests inject a fake one to simulate minutes in milliseconds. */
export interface Clock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** What the cluster manager says right now (from the membership probe or the health store). */
export interface ClusterSnapshot {
  /** null: nobody knows (no probe result yet); destructive steps then fail closed. */
  quorate: boolean | null
  /** Nodes the cluster counts as members, null when unknown. */
  members: string[] | null
  /** Nodes the cluster itself reports fenced (e.g. `fence_tool ls`, crm_mon history). */
  fenced?: string[]
  /** Where this came from, for the audit: `rgmanager.membership`, `health store` ... */
  source: string
}

/** The daemon's current view of cluster membership and quorum. */
export interface ClusterView {
  snapshot(): Promise<ClusterSnapshot>
}

/** A guard (or the fence rule) that stopped something, as notices and the audit show it. */
export interface Refusal {
  guard: string
  reason: string
  /**
   * A time window's refusal (cooldown): when the window ends. The run is not wrong, only early;
   * the caller may defer it to then (ExecuteOptions.defer).
   */
  until?: number
}

/** Something a human must look at now: an unclean node, an action that cannot be verified. */
export interface Escalation {
  incidentId: string
  runId?: string
  stepId?: string
  severity: 'warning' | 'critical'
  title: string
  detail: string
  labels: Record<string, string>
  refused: { what: string; guard: string; reason: string }[]
  at: number
}

/** How a run is going: started, succeeded, failed, or blocked by a guard or an approval. */
export interface RunUpdate {
  incidentId: string
  runId: string
  policy: string
  moment: NoticeMoment
  status: string
  /** Channels the policy named in `notify:`; the sink routes on labels as well. */
  channels: string[]
  labels: Record<string, string>
  steps: { step: string; uses: string; status: string; detail: string }[]
  refused: { what: string; guard: string; reason: string }[]
  dryRun: boolean
  at: number
  /** The incident's key (`node.down:node2`): a story told before the run began continues. */
  incidentKey: string
  /** The event that caused the run: notices name it, not a check grouped under it. */
  cause: { type: string; subject: string }
  /** Alerts with these labels join the incident's thread (policy `notify.covers`); else the default. */
  covers?: Record<string, string>
  /** The approvals its steps asked for: a run waiting on one has not acted yet (a pending story). */
  approvals: RunApproval[]
}

/** Implemented by the notify area (durable outbox); the executor only produces requests. */
export interface NoticeSink {
  escalate(escalation: Escalation): Promise<void>
  runUpdate(update: RunUpdate): Promise<void>
  /**
   * The incident's cause cleared: its one "resolved" notice. Called again after a crash for the
   * same incident, it must queue nothing more (the notifier keys it by incident id).
   */
  incidentResolved?(incident: { incidentId: string; title: string; at: number }): Promise<void>
}

export interface ExecutorDeps {
  store: Store
  registry: Registry
  inventory: Inventory
  secrets: SecretResolver
  log: Logger
  notices: NoticeSink
  clusterView: ClusterView
  clock?: Clock
  /** Default: a runner built from the inventory (local, or ssh per node). */
  runner?: CommandRunner
  /** Plugin config blocks by plugin name (the inventory's `plugins:` section by default). */
  pluginConfig?: Record<string, unknown>
  /** Every plan is a dry run (`tandem run --dry-run`). */
  dryRun?: boolean
  /** At most this many runs in flight across all policies (default 16). */
  maxConcurrentRuns?: number
  /** Where tandem_actions_total and tandem_guard_blocks_total are counted (default: a private registry). */
  metrics?: Metrics
  /** Who acts, in the audit log (default `tandem`). */
  actor?: string
  /** Share of node/check targets failing at once above which tandem calls itself blind. */
  blindThreshold?: number
  /**
   * Several instances on one store: every journal transaction and every command first checks
   * that this instance still holds `lease` with `token()`, so a paused-then-resumed old leader
   * can neither write nor act (STALE_LEADER).
   */
  fencing?: { lease: string; token(): number | undefined }
}

/** One step's outcome as `tandem journal` and the API show it. */
export interface StepReport {
  id: string
  name: string
  uses: string
  status: StepStatus
  blockedBy: string | null
  detail: string
}

export type StepStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'unknown'
  | 'skipped'
  | 'blocked'

/** `in_effect`: no step ran because reading the world back said each one already held. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'blocked' | 'aborted' | 'in_effect'

export interface RunReport {
  runId: string
  incidentId: string
  status: RunStatus
  dryRun: boolean
  steps: StepReport[]
  refused: Refusal[]
}

/** The system clock; `sleep` resolves early (rejecting) when the signal aborts. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer = setTimeout(resolve, ms)
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer)
          reject(signal.reason)
        },
        { once: true },
      )
    }),
}
