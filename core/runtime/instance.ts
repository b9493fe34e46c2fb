// One tandem instance assembled from a config: store, plugins, policies, executor, API, leadership.
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Executor } from '../act/index.ts'
import { createApp } from '../api/index.ts'
import type { Monitoring } from '../health/index.ts'
import {
  createReloadableInventory,
  createSecretResolver,
  type SecretResolver,
} from '../inventory/index.ts'
import { createLogger, type Logger } from '../log.ts'
import { createMetrics, type Metrics, tandemMetrics } from '../metrics/index.ts'
import { createNotifier, type Notifier } from '../notify/index.ts'
import { createPolicySet, type PolicySet } from '../policy/index.ts'
import type { PluginContextFactory } from '../probe/index.ts'
import { openStore, type Store } from '../store/index.ts'
import { clusterVerdict } from './cluster-verdict.ts'
import { createConfigFollower } from './config-follow.ts'
import { type ConfigReload, createConfigReloader } from './config-reload.ts'
import { buildExecutor } from './executor-setup.ts'
import { createLeaderLoop } from './leader-pass.ts'
import { createLeadership, LEADER_LEASE, type Leadership } from './leadership.ts'
import { createProbeContexts } from './probe-contexts.ts'
import { createRunTracker } from './run-tracker.ts'
import { startShardedProbes } from './sharded-probes.ts'
import { loadSite, type Site } from './site.ts'

export interface InstanceOptions {
  configFile: string
  /** Policies directory (default `policies/` beside the working directory). */
  policiesDir?: string
  storeUrl?: string
  /** Auth token of a remote libSQL store (else config daemon.store_auth_token). */
  storeAuthToken?: string
  dryRun?: boolean
  instanceId?: string
  log?: Logger
  secrets?: SecretResolver
  /** Hot-reload policy files (the daemon); the serverless tick reloads per call instead. */
  watch?: boolean
  /** Leader lease length; failover happens within two of these. */
  leaseMs?: number
  /** Run the probes (the daemon); the serverless tick probes on its own schedule. */
  probe?: boolean
}

/** What the daemon and the serverless entry drive. Nothing that matters lives only in memory. */
export interface Instance {
  id: string
  site: Site
  store: Store
  log: Logger
  app: ReturnType<typeof createApp>
  /** The registry /metrics serves; the daemon records its own timers' lag here. */
  metrics: Metrics
  executor: Executor
  policies: PolicySet
  notifier: Notifier
  leadership: Leadership
  /** Plugin contexts for probes (the serverless tick probes through them). */
  probeContext: PluginContextFactory
  /** The probes and health state machine, when this instance probes (re-planned on reload). */
  readonly monitoring?: Monitoring
  /**
   * Re-reads the config file and swaps it in for the executor, policies, notifier, API and
   * probes; a file the loader refuses leaves the last good config running.
   */
  reloadConfig(): Promise<ConfigReload>
  /**
   * Reloads the config file when a save through another instance on the store moved the
   * config's revision there since this one last reloaded; else answers undefined.
   */
  followConfig(): Promise<ConfigReload | undefined>
  /**
   * One pass of the leader's work: renew the lease, resume after a takeover, follow new events
   * into policies and the executor, fire due `for:` timers, pick up approvals.
   * `wait`: also wait for the runs it started (the serverless tick must finish its work).
   * `renew: false`: the caller renews the lease on its own timer (the daemon), so a long pass
   * (a recovery waiting for an orphaned fence agent) cannot let the lease lapse.
   */
  lead(options?: { wait?: boolean; renew?: boolean }): Promise<{ leading: boolean; events: number }>
  /** Runs started and not yet finished (the daemon waits for them before exiting). */
  settle(): Promise<void>
  /**
   * Says events were just stored (this instance's probes call it after each stored batch):
   * the listeners (the daemon's leader loop) run a pass now instead of at their next tick.
   */
  wake(): void
  /** Adds a listener for wake(); returns its removal. */
  onWake(listener: () => void): () => void
  /**
   * Resolves once health has a verdict on the cluster (quorum known), or after `timeoutMs`:
   * until then the executor rightly refuses destructive steps for want of quorum.
   */
  ready(timeoutMs: number): Promise<boolean>
  close(): Promise<void>
}

/**
 * Builds an instance. Several may share one store: only the lease holder remediates. The parts
 * read as the loop: probes → health (startShardedProbes) → events → policies → plan → executor
 * (createRemediation, driven by createLeaderPass) → notify (the notifier).
 *
 * @example
 * const instance = await createInstance({ configFile: 'tandem.yaml' })
 * setInterval(() => instance.lead(), 1_000)
 */
export async function createInstance(options: InstanceOptions): Promise<Instance> {
  const secrets = options.secrets ?? createSecretResolver()
  const log = options.log ?? createLogger({ redactValues: secrets.known })
  const site = await loadSite(options.configFile)
  const { config, registry } = site
  // Every part gets this one inventory: a reload swaps its config under all of them at once.
  const inventory = createReloadableInventory(site.config)
  const authToken =
    options.storeAuthToken ??
    (config.daemon.store_auth_token
      ? await secrets.resolve(config.daemon.store_auth_token)
      : undefined)
  const store = await openStore(options.storeUrl ?? config.daemon.store, { authToken })
  const id = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  const leaseMs = options.leaseMs ?? 10_000
  const leadership = createLeadership(store, id, leaseMs, log)
  const notifier = createNotifier({ store, inventory, registry, secrets, log })
  // One registry for the instance: what /metrics serves is what the probes, executor and leader record.
  const metrics = createMetrics()
  const executor = buildExecutor({
    metrics,
    store,
    registry,
    inventory,
    secrets,
    log,
    notices: notifier,
    dryRun: options.dryRun,
    actor: `tandem:${id}`,
    fencing: { lease: LEADER_LEASE, token: leadership.token },
  })
  const policies = await createPolicySet({
    dir: options.policiesDir ?? 'policies',
    registry,
    inventory,
    store,
    log,
    watch: options.watch ?? false,
  })
  const app = createApp({
    store,
    inventory,
    registry,
    configFile: site.configFile,
    reloadConfig: () => follower.reload(),
    policies: () => policies.policies(),
    metrics,
    log,
    config: { publicUrl: config.daemon.public_url },
  })

  // Every instance delivers the outbox (rows are claimed atomically); only the leader fills it.
  notifier.start()
  const probeContext = createProbeContexts({ inventory, log, secrets })
  // Transitions are stored by the recorder; the leader picks them up from the events table.
  // Probes are sharded between the live instances by node group (core/runtime/shards.ts).
  const wakers = new Set<() => void>()
  const wake = () => {
    for (const listener of wakers) listener()
  }
  const probes = options.probe
    ? await startShardedProbes({
        id,
        store,
        inventory,
        registry,
        secrets,
        log,
        metrics,
        probeContext,
        beatMs: Math.min(leaseMs / 2, 5_000),
        // A node.down waits for no timer: the leader loop looks at the events table at once.
        onEvents: wake,
      })
    : undefined
  const reloader = createConfigReloader({
    configFile: site.configFile,
    inventory,
    registry,
    log,
    async onReload(_next, changed) {
      await policies.reload({ inventory })
      if (changed.probes) await probes?.replan()
    },
  })
  const follower = await createConfigFollower({ store, reload: () => reloader.reload(), log })
  const runs = createRunTracker(log)
  // Aborted when the instance closes: requests waiting for a lapsed lease stop waiting.
  const closing = new AbortController()
  const lead = createLeaderLoop({
    store,
    inventory,
    registry,
    log,
    policies,
    executor,
    notifier,
    metrics: tandemMetrics(metrics),
    runs,
    leadership,
    closing: closing.signal,
  })

  return {
    id,
    site,
    store,
    log,
    app,
    metrics,
    executor,
    policies,
    notifier,
    leadership,
    probeContext,
    get monitoring() {
      return probes?.monitoring
    },
    reloadConfig: () => follower.reload(),
    followConfig: () => follower.follow(),
    lead,
    settle: runs.settle,
    wake,
    onWake(listener) {
      wakers.add(listener)
      return () => wakers.delete(listener)
    },
    ready: (timeoutMs) => clusterVerdict(store, timeoutMs),
    async close() {
      closing.abort()
      await probes?.stop()
      await runs.settle()
      await notifier.stop()
      await policies.close()
      await leadership.release().catch(() => {})
      store.close()
    },
  }
}
