// The live policy set the daemon runs: match events, `for:` timers, deferred runs, schedules, hot reload, status.
import { type FSWatcher, watch } from 'node:fs'
import { sql } from 'drizzle-orm'
import type { HealthReading, TandemEvent } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { Logger } from '../plugin/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import { healthStates, type Store } from '../store/index.ts'
import type { CompiledPolicy } from './compile.ts'
import { type FileState, type Rejection, scanDirectory } from './directory.ts'
import {
  conditionHolds,
  type Evaluation,
  evaluateEvent,
  type PolicyMatch,
  type PolicySkip,
} from './evaluate.ts'
import { createMatcher, type Matcher } from './matcher.ts'
import type { Plan } from './plan.ts'
import { type PlanOptions, planMatch } from './planner.ts'
import { createSchedules, type Schedules } from './schedules.ts'
import { invalidEvent, saveStatus } from './status.ts'
import {
  type DeferTx,
  deferredRun,
  dueStillHolds,
  isDeferral,
  memoryTimers,
  type PendingTimer,
  storeTimers,
  type TimerStore,
  type TimerTx,
  timerKey,
} from './timers.ts'
import {
  eventView,
  type HealthView,
  healthView,
  type InventoryView,
  inventoryView,
  liveInventory,
} from './views.ts'

export interface PolicySetOptions {
  dir: string
  registry: Registry
  inventory: Inventory
  /** Timers, status and `config.invalid` events live here; without it, in memory only. */
  store?: Store
  log?: Logger
  /** A rejected edit (or a broken file at start): the `config.invalid` event, already stored. */
  onInvalid?: (event: TandemEvent) => void
  /** A `schedule:` trigger fired: feed this event back through `match()`. No callback: no cron. */
  onSchedule?: (event: TandemEvent) => void
  /** Reload when a file in `dir` changes (default true when `store` is given). */
  watch?: boolean
  /** Current health rows; default: the store's health_states table. */
  health?: () => Promise<HealthReading[]>
  now?: () => number
}

/** What `match` decided for one event. */
export interface MatchResult {
  /** Act now: plan these. */
  fire: PolicyMatch[]
  /** `for:` started (or already running): these fire later through `due()` if still true. */
  waiting: PendingTimer[]
  /** Waiting timers this event ended (the node came back before `for:` ran out). */
  cancelled: PendingTimer[]
  skipped: PolicySkip[]
}

export interface MatchOptions {
  /**
   * Called with what fires now (and what will wait) before the `for:` timers are stored: the
   * daemon starts its runs here, so a timer write never stands between an event and its first
   * action. A crash before the timers are stored replays the event (its cursor has not moved).
   */
  beforeTimers?(fire: PolicyMatch[], waiting: PolicyMatch[]): Promise<void>
}

/** A `for:` timer that fired: its match, its identity, and how to consume it. */
export interface DueMatch extends PolicyMatch {
  timer: PendingTimer
  /** Removes the timer; pass the transaction that writes its run. */
  consume(tx?: TimerTx): Promise<void>
}

export interface PolicyStatus {
  file: string
  name?: string
  /** Hash of the active version; absent when the file never loaded. */
  hash?: string
  loadedAt?: number
  lastError?: string
  lastErrorAt?: number
}

export interface ReloadResult {
  loaded: number
  rejected: Rejection[]
  /** `config.invalid` events raised by this reload (new broken edits only). */
  invalid: TandemEvent[]
}

export interface PolicySet {
  policies(): readonly CompiledPolicy[]
  /** Trigger + `if:` only, with the health given (or current health). Pure and fast. */
  evaluate(event: TandemEvent, health?: HealthView): Promise<Evaluation>
  /** Trigger + `if:` + `for:`: what to do now, what waits. */
  match(event: TandemEvent, options?: MatchOptions): Promise<MatchResult>
  /**
   * Waiting timers whose time came and whose condition still holds. Each stays stored until
   * `consume` runs, which the caller does in the transaction that writes the timer's run.
   * Timers whose condition no longer holds are dropped here.
   */
  due(now?: number): Promise<DueMatch[]>
  /**
   * Defers a run a time window (cooldown) refused: it comes back through `due()` at `until`,
   * planned against the health then, unless the opposite event cancels it first. One per policy
   * and incident (a newer refusal replaces it); pass the transaction that writes the refusal.
   */
  defer(
    plan: Pick<Plan, 'policy' | 'incidentKey' | 'event'>,
    until: number,
    tx?: DeferTx,
  ): Promise<void>
  pending(): Promise<PendingTimer[]>
  plan(match: PolicyMatch, options?: Omit<PlanOptions, 'inventory'>): Promise<Plan>
  /** Re-read the directory (and recompile everything when the inventory changed). */
  reload(options?: { inventory?: Inventory }): Promise<ReloadResult>
  status(): PolicyStatus[]
  healthView(): Promise<HealthView>
  close(): Promise<void>
}

/**
 * Loads the policies directory and keeps it live.
 *
 * @example
 * const policies = await createPolicySet({ dir: 'policies', registry, inventory, store, log })
 * const { fire } = await policies.match(event)
 * for (const m of fire) executor.run(await policies.plan(m, { context }))
 */
export async function createPolicySet(options: PolicySetOptions): Promise<PolicySet> {
  const now = options.now ?? Date.now
  const timers: TimerStore = options.store ? storeTimers(options.store) : memoryTimers()
  let inventory = options.inventory
  let invView: InventoryView = inventoryView(inventory)
  let states = new Map<string, FileState>()
  let active: CompiledPolicy[] = []
  let matcher: Matcher = createMatcher([])
  let schedules: Schedules | undefined
  let reloading: Promise<ReloadResult> | undefined

  const readHealth = async (): Promise<HealthView> => {
    const rows = options.health
      ? await options.health()
      : options.store
        ? await readHealthRows(options.store)
        : []
    return healthView(rows, inventory)
  }

  const doReload = async (recompile: boolean): Promise<ReloadResult> => {
    const deps = { registry: options.registry, inventory }
    const scanned = await scanDirectory(options.dir, deps, states, now(), recompile)
    states = scanned.states
    active = [...states.values()].flatMap((s) => (s.policy ? [s.policy] : []))
    matcher = createMatcher(active)
    schedules?.update(active)
    const invalid = scanned.rejected.filter((r) => r.fresh).map((r) => invalidEvent(r, now()))
    for (const r of scanned.rejected.filter((r) => r.fresh))
      options.log?.error(
        `[policy] ${r.kept ? 'kept the last good version' : 'not loaded'}: ${r.message}`,
      )
    await saveStatus(options.store, states, invalid)
    for (const event of invalid) options.onInvalid?.(event)
    return { loaded: active.length, rejected: scanned.rejected, invalid }
  }
  const reload = (recompile = false) => {
    // One reload at a time: a burst of file events must not interleave two scans.
    const run = (reloading ?? Promise.resolve()).then(() => doReload(recompile))
    reloading = run.catch(() => undefined as unknown as ReloadResult)
    return run
  }

  await reload()
  if (options.onSchedule) {
    schedules = createSchedules(options.onSchedule, options.log)
    schedules.update(active)
  }
  const watcher =
    (options.watch ?? options.store !== undefined)
      ? watchDir(options.dir, () => reload(), options.log)
      : undefined

  const set: PolicySet = {
    policies: () => active,
    async evaluate(event, health) {
      return evaluateEvent(matcher, event, {
        inventory: invView,
        health: health ?? (await readHealth()),
      })
    },
    async match(event, matchOptions = {}) {
      const cancelled = await timers.cancelResolved(event)
      const evaluation = await set.evaluate(event)
      const result: MatchResult = { fire: [], waiting: [], cancelled, skipped: evaluation.skipped }
      const waits: PolicyMatch[] = []
      for (const m of evaluation.matches)
        (m.policy.forMs === undefined ? result.fire : waits).push(m)
      await matchOptions.beforeTimers?.(result.fire, waits)
      for (const m of waits) {
        const forMs = m.policy.forMs as number
        const timer: PendingTimer = {
          key: timerKey(m.policy.name, event),
          policy: m.policy.name,
          event,
          since: event.at,
          dueAt: event.at + forMs,
        }
        await timers.start(timer)
        result.waiting.push(timer)
      }
      return result
    },
    async due(at = now()) {
      const ready = await timers.listDue(at)
      if (ready.length === 0) return []
      const health = await readHealth()
      const inventory = liveInventory(invView, health)
      const fire: DueMatch[] = []
      for (const timer of ready) {
        const consume = (tx?: TimerTx) => timers.consume(timer.key, tx)
        const policy = active.find((p) => p.name === timer.policy)
        const vars = { event: eventView(timer.event), inventory, health }
        if (policy && dueStillHolds(timer, health) && conditionHolds(policy, vars) === true) {
          fire.push({ policy, event: timer.event, vars, timer, consume })
          continue
        }
        // Nothing to run: dropping the timer first is safe (a crash here only re-checks it).
        await consume()
        const after = isDeferral(timer.key) ? 'its deferral' : 'for:'
        options.log?.info(`[policy] ${timer.policy}: condition no longer holds after ${after}`, {
          subject: timer.event.subject,
        })
      }
      return fire
    },
    defer: (plan, until, tx) => timers.defer(deferredRun(plan, now(), until), tx),
    pending: () => timers.list(),
    plan: (match, planOptions = {}) => planMatch(match, { ...planOptions, inventory }),
    async reload(reloadOptions = {}) {
      if (reloadOptions.inventory) {
        inventory = reloadOptions.inventory
        invView = inventoryView(inventory)
      }
      return reload(reloadOptions.inventory !== undefined)
    },
    status: () =>
      [...states.values()].map((s) => ({
        file: s.file,
        name: s.policy?.name,
        hash: s.hash,
        loadedAt: s.loadedAt,
        lastError: s.error?.message,
        lastErrorAt: s.error?.at,
      })),
    healthView: readHealth,
    async close() {
      watcher?.close()
      await schedules?.close()
      await reloading
    },
  }
  return set
}

/**
 * What the health view needs, read on every event: the state of every target, and `detail` only
 * of services (their owner), VMs (their host) and storage (each node's mount, the usable nodes:
 * `health.mounts`, `health.storage_ready`); node and check details (votes, evidence) are left
 * unparsed.
 */
function readHealthRows(store: Store): Promise<HealthReading[]> {
  return store.db
    .select({
      target: healthStates.target,
      kind: healthStates.kind,
      state: healthStates.state,
      detail: sql<
        string | null
      >`case when ${healthStates.kind} in ('service', 'vm', 'storage') then ${healthStates.detail} end`.mapWith(
        (value: string | null) => (value === null ? null : JSON.parse(value)),
      ),
    })
    .from(healthStates)
}

function watchDir(
  dir: string,
  reload: () => Promise<unknown>,
  log?: Logger,
): FSWatcher | undefined {
  let timer: NodeJS.Timeout | undefined
  try {
    const watcher = watch(dir, { persistent: false }, () => {
      // Editors write in bursts (temp file, rename, chmod): settle first, then scan once.
      clearTimeout(timer)
      timer = setTimeout(() => {
        reload().catch((error) => log?.error(`[policy] reload failed: ${(error as Error).message}`))
      }, 150)
    })
    watcher.on('error', (error) => log?.warn(`[policy] watching ${dir} stopped: ${error.message}`))
    watcher.on('close', () => clearTimeout(timer))
    return watcher
  } catch (error) {
    log?.warn(`[policy] cannot watch ${dir}: ${(error as Error).message}; reload by API or restart`)
    return undefined
  }
}
