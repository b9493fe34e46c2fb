// One probing pass without timers (the serverless tick): probe every owned check once, record transitions.
import type { TandemEvent } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { Logger } from '../plugin/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import {
  createProber,
  type PluginContextFactory,
  planTargets,
  runChecksOnce,
} from '../probe/index.ts'
import type { Store } from '../store/index.ts'
import { createHealthEngine } from './engine.ts'
import { createRecorder, loadHealthRows } from './recorder.ts'
import { planShards, type ShardOwner } from './shard-plan.ts'

export interface TickOptions {
  inventory: Inventory
  store: Store
  log: Logger
  registry?: Registry
  pluginContext?: PluginContextFactory
  secrets?: { resolve(ref: string): Promise<string> }
  /** The shard keys this instance owns (see planShards); absent: all of them. */
  owns?: ShardOwner
  now?: number
}

/**
 * Probes every check this instance owns once, through the same prober and health engine as
 * the daemon, and stores the transitions. The engine's state (hard states, rise/fall counters,
 * flap histories) is restored from health_states on every call, so nothing is kept in memory
 * between ticks: each tick counts as one interval of every check, and one result of its flap
 * window (schedule the tick at the checks' interval).
 *
 * @example
 * const { probed, events } = await tick({ inventory, store, log, registry, pluginContext })
 */
export async function tick(
  options: TickOptions,
): Promise<{ probed: number; events: TandemEvent[] }> {
  const { inventory, store, log } = options
  const owns = options.owns ?? (() => true)
  const targets = planTargets(inventory)
  const shards = planShards(inventory, targets)
  const mine = shards.probed(targets, owns)
  const prober = await createProber(mine, options)
  try {
    const engine = createHealthEngine({
      inventory,
      targets,
      restore: await loadHealthRows(store),
      probed: mine.map((target) => target.id),
    })
    const results = await runChecksOnce(mine, prober, inventory.config.monitor.max_concurrency)
    const stored: TandemEvent[] = []
    const recorder = createRecorder(store, log, (events) => stored.push(...events))
    recorder.record(shards.recorded(engine.observe(results, options.now), owns))
    await recorder.flush()
    recorder.stop()
    return { probed: mine.length, events: stored }
  } finally {
    prober.close()
  }
}
