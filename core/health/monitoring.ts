// startMonitoring(): the daemon's health loop — scheduler → prober → engine → store, transitions only.
import type { TandemEvent } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import { type Metrics, tandemMetrics } from '../metrics/index.ts'
import type { Logger } from '../plugin/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import {
  createProber,
  type PluginContextFactory,
  planTargets,
  type SchedulerStats,
  startScheduler,
} from '../probe/index.ts'
import type { Store } from '../store/index.ts'
import { createHealthEngine, type HealthEngine } from './engine.ts'
import { createRecorder, loadFactRows, loadHealthRows, loadSharedRows } from './recorder.ts'
import { healthTarget } from './rows.ts'
import { CLUSTER_WIDE, planShards, type ShardOwner } from './shard-plan.ts'
import type { HealthSnapshot } from './snapshot.ts'

/** How long stop() waits for the last transitions to reach the store. */
const STOP_FLUSH_MS = 5_000

export interface MonitoringOptions {
  inventory: Inventory
  store: Store
  log: Logger
  /** Plugin probes (`kind: plugin.probe`) need the registry and a ctx factory. */
  registry?: Registry
  pluginContext?: PluginContextFactory
  /** Resolves `tls.client_key` references. */
  secrets?: { resolve(ref: string): Promise<string> }
  /** Receives each batch of transitions once it is stored (ids set), in order. */
  onEvents?(events: TandemEvent[]): void
  /** Scheduler tick (ms); the default 20 ms bounds the added detection delay. */
  tickMs?: number
  /**
   * Shards (several instances on one store): probe only the node groups this instance owns
   * (plus every cluster-wide probe) and record only its own transitions. See planShards.
   * Absent: this instance probes and records everything.
   */
  owns?: ShardOwner
  /** Probe latency by kind and the probes' late starts are recorded here. */
  metrics?: Metrics
}

export interface Monitoring {
  readonly engine: HealthEngine
  snapshot(): HealthSnapshot & { scheduler: SchedulerStats }
  /** The scheduler's counters alone (cheap: for metrics, unlike a 10,000-target snapshot). */
  stats(): SchedulerStats
  /**
   * Re-plans after the live set of instances changed, touching only the checks that move: the
   * ones kept keep their schedule and state; the ones handed away stop and what is pending
   * about them is written; the ones taken over resume from the store (where their last owner
   * left them) at their own phase of the interval.
   */
  reshard(owns: ShardOwner): Promise<void>
  /**
   * Called at each heartbeat. While this instance records the shared rows (monitor, cluster,
   * cluster-wide probes) it reads them back, with the rows live facts fill (services, VMs,
   * storage; every instance reads those at a re-plan), and at its next results corrects what
   * differs from what it sees. A row left by the instance that recorded it before (handed over,
   * or died blind), or a fact learned while another instance recorded its row, must not stay
   * stale: the executor acts on its word.
   */
  beat(): Promise<void>
  /** Resolves once every transition so far is in the store. */
  flush(): Promise<void>
  /** Stops probing, drops kept-alive connections, writes what is pending. */
  stop(): Promise<void>
}

/**
 * Starts probing every check of the inventory and keeping health state. Resumes from the
 * store's health_states, so a restart does not announce old transitions again. Throws
 * CONFIG_INVALID (naming the check) when a check cannot run.
 *
 * @example
 * const monitoring = await startMonitoring({ inventory, store, log, registry, pluginContext,
 *   onEvents: (events) => policies.dispatch(events) })
 * monitoring.snapshot().nodes
 * await monitoring.stop()
 */
export async function startMonitoring(options: MonitoringOptions): Promise<Monitoring> {
  const { inventory, store, log } = options
  const targets = planTargets(inventory)
  const prober = await createProber(targets, options)
  const shards = planShards(inventory, targets)
  let owns: ShardOwner = options.owns ?? (() => true)
  const restore = await loadHealthRows(store)
  const owned = shards.probed(targets, owns)
  let probed = new Set(owned.map((target) => target.id))
  const engine = createHealthEngine({ inventory, targets, restore, probed })
  for (const warning of engine.warnings) log.warn(warning)
  const recorder = createRecorder(store, log, options.onEvents)
  const shared = options.metrics ? tandemMetrics(options.metrics) : undefined
  const scheduler = startScheduler({
    targets: owned,
    prober,
    maxConcurrency: inventory.config.monitor.max_concurrency,
    tickMs: options.tickMs,
    onLate: (lagMs) => shared?.schedulerLag.observe({ job: 'probe' }, lagMs / 1000),
    onResults(batch) {
      for (const { target, result } of batch)
        shared?.probeLatency.observe({ kind: target.check.kind }, result.latencyMs / 1000)
      try {
        recorder.record(shards.recorded(engine.observe(batch), owns))
      } catch (error) {
        // A bug in the engine must not stop the probing (or the process): say it loudly.
        log.error('[health] cannot evaluate results', { error: (error as Error).stack })
      }
    },
  })
  log.info('[health] monitoring started', {
    checks: targets.length,
    probed: scheduler.stats().targets,
    restored: restore.length,
    blind: engine.blind,
  })
  let stopping: Promise<void> | undefined
  let resharding = Promise.resolve()
  const sharedRows = [
    healthTarget.monitor,
    healthTarget.cluster,
    ...targets.filter((target) => shards.keyOf(target) === CLUSTER_WIDE).map((t) => t.id),
  ]
  // At a handover every instance re-reads the rows live facts fill; at a beat only the recorder
  // of the shared rows does, so a beat never makes the others wait for their writes (a re-plan
  // queues behind it).
  const resync = async (handover: boolean) => {
    const shared = owns(CLUSTER_WIDE)
    if (!shared && !handover) return
    await recorder.flush()
    const since = engine.factsVersion
    const [sharedNow, facts] = await Promise.all([
      shared ? loadSharedRows(store, sharedRows) : undefined,
      loadFactRows(store),
    ])
    if (sharedNow) engine.resyncShared(sharedNow)
    engine.resyncFacts(facts, since)
  }
  return {
    engine,
    snapshot: () => ({ ...engine.snapshot(), scheduler: scheduler.stats() }),
    stats: () => scheduler.stats(),
    flush: () => recorder.flush(),
    reshard(next) {
      resharding = resharding.then(async () => {
        if (stopping) return
        const wanted = shards.probed(targets, next)
        const ids = new Set(wanted.map((target) => target.id))
        const gone = [...probed].filter((id) => !ids.has(id))
        const gained = wanted.filter((target) => !probed.has(target.id))
        probed = ids
        // The checks kept go on probing on their own schedule throughout. The ones handed
        // away stop at once (a run in flight settles and is dropped), and what this instance
        // still owes the store about them is written before their new owner reads it.
        const settled = scheduler.remove(gone)
        engine.release(gone)
        owns = next
        await settled
        await recorder.flush()
        if (gained.length > 0) {
          engine.adopt(
            gained.map((target) => target.id),
            await loadHealthRows(store),
          )
          scheduler.add(gained)
        }
        await resync(true)
        log.info('[health] shards re-planned', {
          probed: scheduler.stats().targets,
          handedAway: gone.length,
          takenOver: gained.length,
        })
      })
      return resharding
    },
    beat() {
      resharding = resharding.then(async () => {
        if (!stopping) await resync(false)
      })
      return resharding
    },
    stop() {
      stopping ??= (async () => {
        await resharding
        prober.close()
        await scheduler.stop()
        // A store that is down must not hold the shutdown: wait a little, then say what is lost.
        let timer: NodeJS.Timeout | undefined
        const waited = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, STOP_FLUSH_MS)
        })
        await Promise.race([recorder.flush(), waited])
        clearTimeout(timer)
        recorder.stop()
        log.info('[health] monitoring stopped')
      })()
      return stopping
    },
  }
}
