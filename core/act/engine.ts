// The executor's shared parts: dependencies with defaults, and the scope of one run.
import { TandemError } from '../errors.ts'
import { createMetrics, type TandemMetrics, tandemMetrics } from '../metrics/index.ts'
import type { ActionDefinition, CommandRunner, PluginDefinition } from '../plugin/index.ts'
import { createCommandRunner, type Requester } from '../plugin-host/index.ts'
import type { Plan, PlanStep } from '../policy/index.ts'
import { assertLeaseToken, type Db, type runs } from '../store/index.ts'
import { type ContextDeps, configCache } from './context.ts'
import type { Tx } from './journal.ts'
import { storedRequester } from './requester.ts'
import { type ExecutorDeps, type Refusal, systemClock } from './types.ts'

/**
 * The executor's dependencies (ExecutorDeps) with their defaults applied, and what is built from
 * them once: the transaction wrapper, the fenced runner, the plugin contexts' parts.
 */
export interface Engine
  extends Required<
    Pick<
      ExecutorDeps,
      | 'registry'
      | 'inventory'
      | 'secrets'
      | 'log'
      | 'notices'
      | 'clusterView'
      | 'clock'
      | 'runner'
      | 'actor'
      | 'dryRun'
      | 'maxConcurrentRuns'
      | 'blindThreshold'
    >
  > {
  db: Db
  /** Every journal read and write goes through here, one transaction at a time. */
  tx<T>(work: (tx: Tx) => Promise<T>): Promise<T>
  context: ContextDeps
  configOf(plugin: PluginDefinition): unknown
  /** tandem_actions_total and tandem_guard_blocks_total are counted here. */
  metrics: TandemMetrics
}

/** One run in progress: its plan, ids and the refusals collected for the notices. */
export interface RunScope {
  engine: Engine
  plan: Plan
  runId: string
  incidentId: string
  actor: string
  /** Who asked (an API token); absent when an event fired the run (the daemon acts). */
  requester?: Requester
  dryRun: boolean
  refused: { what: string; guard: string; reason: string }[]
  /**
   * Called (any number of times) once the run first acted: its first command spawned or its
   * first step decided. Runs begun by execute() then send their `started` notice and let the
   * leader's other store work go on; neither stands between the event and the first action.
   */
  acted?: () => Promise<void>
}

export interface ResolvedAction {
  plugin: PluginDefinition
  action: ActionDefinition
}

export function createEngine(deps: ExecutorDeps): Engine {
  const fencing = deps.fencing
  const checkToken = async (db: Pick<Db, 'select'>) => {
    if (fencing) await assertLeaseToken(db, fencing.lease, heldToken(fencing))
  }
  const plain = deps.runner ?? createCommandRunner({ inventory: deps.inventory, log: deps.log })
  const runner: CommandRunner = fencing
    ? {
        run: async (spec) => {
          await checkToken(deps.store.db)
          // Checked again with no await before the spawn: a process frozen during the query
          // above wakes past its lease and must not start the command on the stale answer.
          heldToken(fencing)
          return plain.run(spec)
        },
      }
    : plain
  const context: ContextDeps = {
    inventory: deps.inventory,
    runner,
    secrets: deps.secrets,
    log: deps.log,
    // Read at each step: a reloaded config's plugin blocks apply from the next step on.
    get pluginConfig() {
      return deps.pluginConfig ?? deps.inventory.config.plugins
    },
  }
  return {
    db: deps.store.db,
    tx: (work) =>
      deps.store.db.transaction(async (tx) => {
        await checkToken(tx)
        return work(tx)
      }),
    registry: deps.registry,
    inventory: deps.inventory,
    secrets: deps.secrets,
    log: deps.log,
    notices: deps.notices,
    clusterView: deps.clusterView,
    clock: deps.clock ?? systemClock,
    runner,
    context,
    configOf: configCache(context),
    actor: deps.actor ?? 'tandem',
    dryRun: deps.dryRun ?? false,
    maxConcurrentRuns: deps.maxConcurrentRuns ?? 16,
    // Read at each guard check, so a reloaded monitor.blind_threshold applies at once.
    get blindThreshold() {
      return deps.blindThreshold ?? deps.inventory.config.monitor.blind_threshold
    },
    metrics: tandemMetrics(deps.metrics ?? createMetrics()),
  }
}

/**
 * Labels a step is known by, for maintenance windows and notices: the event's labels, the
 * policy and action, and the node/service/vm the step's input names.
 */
export function stepLabels(plan: Plan, step: PlanStep): Record<string, string> {
  const labels: Record<string, string> = {
    ...plan.event.labels,
    policy: plan.policy,
    action: step.uses,
  }
  for (const key of ['node', 'service', 'vm', 'host', 'resource', 'to'])
    if (typeof step.input[key] === 'string') labels[key] = step.input[key] as string
  return labels
}

/** Records a refusal for the run's notices. */
export function noteRefusal(scope: RunScope, step: PlanStep, refusal: Refusal): void {
  scope.refused.push({ what: `${step.name} (${step.uses})`, ...refusal })
  scope.engine.metrics.guardBlocks.inc({ guard: refusal.guard })
}

/** Exponential backoff for retry `n` (1-based). */
export function backoff(step: PlanStep, n: number): number {
  return step.retry.backoffMs * 2 ** Math.max(0, n - 1)
}

/**
 * True when `error` (or any cause under it, e.g. a PluginError around a refused command) is the
 * fencing token's refusal: this instance no longer leads, so the run stops here — no verify, no
 * retry — and the current leader's recovery finishes it.
 */
export function isStaleLeader(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause)
    if (e instanceof TandemError && e.code === 'STALE_LEADER') return true
  return false
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The scope of a journaled run, rebuilt from its row (recovery and approvals). */
export function scopeOf(engine: Engine, run: typeof runs.$inferSelect): RunScope {
  return {
    engine,
    plan: run.plan as unknown as Plan,
    runId: run.id,
    incidentId: run.incidentId ?? '',
    actor: run.actor,
    requester: storedRequester(run.trigger),
    dryRun: run.dryRun,
    refused: [],
  }
}

/** The token this instance holds by its own clock; a lapsed lease refuses without a query. */
function heldToken(fencing: NonNullable<ExecutorDeps['fencing']>): number {
  const token = fencing.token()
  if (token === undefined)
    throw new TandemError(
      'STALE_LEADER',
      `[lease] this instance's ${fencing.lease} lease has lapsed: refusing to act`,
    )
  return token
}
