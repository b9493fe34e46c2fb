// startMonitoring(): the daemon's health loop — scheduler → prober → engine → store, transitions only.
import type { Inventory } from '../inventory/index.ts'
import type { Logger, Registry } from '../plugin/index.ts'
import {
  createProber,
  type PluginContextFactory,
  planTargets,
  type SchedulerStats,
  startScheduler,
} from '../probe/index.ts'
import type { Store } from '../store/index.ts'
import { createHealthEngine, type HealthEngine } from './engine.ts'
import type { TandemEvent } from './events.ts'
import { createRecorder, loadHealthRows } from './recorder.ts'
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
   * Shards: probe only the targets this instance owns (e.g. `shardView.owns`). The others stay
   * `unknown` here; a node or service whose checks are split between instances gets no verdict
   * from either (cross-instance votes are not read back from the store yet).
   */
  owns?: (targetId: string) => boolean
}

export interface Monitoring {
  readonly engine: HealthEngine
  snapshot(): HealthSnapshot & { scheduler: SchedulerStats }
  /** The scheduler's counters alone (cheap: for metrics, unlike a 10,000-target snapshot). */
  stats(): SchedulerStats
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
  const restore = await loadHealthRows(store)
  const engine = createHealthEngine({ inventory, targets, restore })
  for (const warning of engine.warnings) log.warn(warning)
  const recorder = createRecorder(store, log, options.onEvents)
  const owns = options.owns
  const scheduler = startScheduler({
    targets: owns ? targets.filter((target) => owns(target.id)) : targets,
    prober,
    maxConcurrency: inventory.config.monitor.max_concurrency,
    tickMs: options.tickMs,
    onResults(batch) {
      try {
        recorder.record(engine.observe(batch))
      } catch (error) {
        // A bug in the engine must not stop the probing (or the process): say it loudly.
        log.error('[health] cannot evaluate results', { error: (error as Error).stack })
      }
    },
  })
  log.info('[health] monitoring started', {
    checks: targets.length,
    restored: restore.length,
    blind: engine.blind,
  })
  let stopping: Promise<void> | undefined
  return {
    engine,
    snapshot: () => ({ ...engine.snapshot(), scheduler: scheduler.stats() }),
    stats: () => scheduler.stats(),
    flush: () => recorder.flush(),
    stop() {
      stopping ??= (async () => {
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
