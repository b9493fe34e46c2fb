// Probes → health on this instance: its share of the checks (sharded by heartbeat), re-planned on reload.
import type { TandemEvent } from '../events/index.ts'
import { type Monitoring, startMonitoring } from '../health/index.ts'
import type { Inventory, SecretResolver } from '../inventory/index.ts'
import type { Logger } from '../log.ts'
import type { Metrics } from '../metrics/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import type { PluginContextFactory } from '../probe/index.ts'
import type { Store } from '../store/index.ts'
import { heartbeat, startSharding } from './shards.ts'

/** What the instance asks of its probes: the monitoring running now, a re-plan, a stop. */
export interface ShardedProbes {
  /** The probes and health state machine running now (a re-plan replaces them). */
  readonly monitoring: Monitoring | undefined
  /** The config's checks changed: the new ones start from the store's rows, as after a restart. */
  replan(): Promise<void>
  /** Stops the heartbeat, then the probes. */
  stop(): Promise<void>
}

export interface ShardedProbeParts {
  id: string
  store: Store
  inventory: Inventory
  registry: Registry
  secrets: SecretResolver
  log: Logger
  metrics: Metrics
  probeContext: PluginContextFactory
  /** This instance's heartbeat interval; a peer silent for three of them has left. */
  beatMs: number
  /** Called with each stored batch of transitions. */
  onEvents(events: TandemEvent[]): void
}

/**
 * Starts this instance's probes: a first heartbeat tells which checks it owns among the live
 * instances, then sharding follows the live set and hands checks over as peers come and go.
 *
 * @example
 * const probes = await startShardedProbes({ id, store, ..., beatMs: 5_000, onEvents: wake })
 */
export async function startShardedProbes(parts: ShardedProbeParts): Promise<ShardedProbes> {
  const { store, log } = parts
  const first = await heartbeat(store.db, parts.id, 3 * parts.beatMs)
  const monitor = (owns: typeof first.owns) =>
    startMonitoring({
      inventory: parts.inventory,
      store,
      log,
      registry: parts.registry,
      secrets: parts.secrets,
      pluginContext: parts.probeContext,
      owns,
      metrics: parts.metrics,
      onEvents: parts.onEvents,
    })
  let monitoring = await monitor(first.owns)
  // Sharding talks to whichever monitoring runs now (a reload re-plans the probes).
  const sharding = startSharding(
    store.db,
    first,
    { reshard: (owns) => monitoring.reshard(owns), beat: () => monitoring.beat() },
    { everyMs: parts.beatMs, log },
  )
  return {
    get monitoring() {
      return monitoring
    },
    async replan() {
      await monitoring.stop()
      monitoring = await monitor(sharding.view().owns)
    },
    async stop() {
      await sharding.stop()
      await monitoring.stop()
    },
  }
}
