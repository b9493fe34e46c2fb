// One tandem instance assembled from a config: store, plugins, policies, executor, API, leadership.
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { eq } from 'drizzle-orm'
import { type Executor, isStaleLeader } from '../act/index.ts'
import { createApp } from '../api/index.ts'
import { crashPoint } from '../crash-points.ts'
import type { TandemEvent } from '../events/index.ts'
import { followEvents } from '../events/index.ts'
import { type Monitoring, startMonitoring } from '../health/index.ts'
import {
  createReloadableInventory,
  createSecretResolver,
  type SecretResolver,
} from '../inventory/index.ts'
import { createLogger, type Logger } from '../log.ts'
import { createMetrics, type Metrics, tandemMetrics } from '../metrics/index.ts'
import { createNotifier, type Notifier } from '../notify/index.ts'
import type { PluginContext, PluginDefinition } from '../plugin/index.ts'
import { createCommandRunner } from '../plugin-host/index.ts'
import {
  createPlanContexts,
  createPolicySet,
  createReadOnlyRunner,
  type PolicySet,
} from '../policy/index.ts'
import type { PluginContextFactory } from '../probe/index.ts'
import { healthStates, openStore, type Store } from '../store/index.ts'
import { createConfigFollower } from './config-follow.ts'
import { type ConfigReload, createConfigReloader } from './config-reload.ts'
import { buildExecutor } from './executor-setup.ts'
import { applyToIncidents, incidentHousekeeping, type LeaderGuard } from './incident-pass.ts'
import { createLeadership, LEADER_LEASE, type Leadership } from './leadership.ts'
import {
  createRequestLanes,
  manualRequest,
  notMatched,
  policyRequest,
  queuedPolicyRun,
  runQueuedAction,
  settleQueued,
  strandedRequests,
} from './manual-requests.ts'
import { openPendingIncident, pendingUpdate } from './pending-notice.ts'
import { heartbeat, startSharding } from './shards.ts'
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

const EVENTS_CURSOR = 'events:remediation'
/** How long a leader pass waits for the runs it began to act before its other store work. */
const ACTING_WAIT_MS = 2_000
const NOTIFY_CURSOR = 'events:notify'

/**
 * Builds an instance. Several may share one store: only the lease holder remediates.
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
  const shared = tandemMetrics(metrics)
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
  const probeRunner = createCommandRunner({ inventory, log })
  // Parsed again when a reload brought a new block for the plugin (keyed by the block itself).
  const pluginConfigs = new Map<string, { block: unknown; value: unknown }>()
  const probeContext = (
    plugin: PluginDefinition,
    run: { signal: AbortSignal; timeoutMs: number },
  ): PluginContext => {
    const raw = inventory.config.plugins[plugin.name]
    if (pluginConfigs.get(plugin.name)?.block !== raw) {
      const { module: _module, ...block } = raw ?? {}
      pluginConfigs.set(plugin.name, { block: raw, value: plugin.config.parse(block) })
    }
    return {
      config: pluginConfigs.get(plugin.name)?.value,
      inventory,
      runner: probeRunner,
      log,
      secrets,
      dryRun: false,
      ...run,
    }
  }
  // Transitions are stored by the recorder; the leader picks them up from the events table.
  // Probes are sharded between the live instances by node group (core/runtime/shards.ts).
  const wakers = new Set<() => void>()
  const wake = () => {
    for (const listener of wakers) listener()
  }
  const beatMs = Math.min(leaseMs / 2, 5_000)
  const first = options.probe ? await heartbeat(store.db, id, 3 * beatMs) : undefined
  const monitor = (owns: NonNullable<typeof first>['owns']) =>
    startMonitoring({
      inventory,
      store,
      log,
      registry,
      secrets,
      pluginContext: probeContext,
      owns,
      metrics,
      // A node.down waits for no timer: the leader loop looks at the events table at once.
      onEvents: wake,
    })
  let monitoring = first ? await monitor(first.owns) : undefined
  // Sharding talks to whichever monitoring runs now (a reload re-plans the probes).
  const sharding =
    first && monitoring
      ? startSharding(
          store.db,
          first,
          {
            reshard: (owns) => monitoring?.reshard(owns) ?? Promise.resolve(),
            beat: () => monitoring?.beat() ?? Promise.resolve(),
          },
          { everyMs: beatMs, log },
        )
      : undefined
  const reloader = createConfigReloader({
    configFile: site.configFile,
    inventory,
    registry,
    log,
    async onReload(_next, changed) {
      await policies.reload({ inventory })
      if (!changed.probes || !monitoring || !sharding) return
      // The new checks start from the store's rows, as after a restart; the kept ones resume.
      await monitoring.stop()
      monitoring = await monitor(sharding.view().owns)
    },
  })
  const follower = await createConfigFollower({ store, reload: () => reloader.reload(), log })
  const inFlight = new Set<Promise<unknown>>()
  let recoveredFor: number | undefined
  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error) =>
      isStaleLeader(error)
        ? log.warn('[runtime] run left to the current leader: this instance no longer leads', {
            code: 'STALE_LEADER',
            error: String(error),
          })
        : log.error('[runtime] run failed', { error: String(error) }),
    )
    inFlight.add(settled)
    void settled.finally(() => inFlight.delete(settled))
  }
  const planContext = () =>
    createPlanContexts({
      registry,
      config: inventory.config,
      inventory,
      runner: createReadOnlyRunner(createCommandRunner({ inventory, log })),
      log,
    })
  // `for:` timers whose run is being written by this instance (the run key guards the rest).
  const firing = new Set<string>()
  const fireDue = async () => {
    for (const match of await policies.due()) {
      const { timer } = match
      if (firing.has(timer.key)) continue
      const planned = await policies.plan(match, { context: planContext() })
      crashPoint('timer.due')
      firing.add(timer.key)
      const run = executor.execute(planned, {
        runKey: `timer:${timer.key}@${timer.since}/${timer.policy}`,
        withIntent: (tx) => match.consume(tx),
      })
      track(run.finally(() => firing.delete(timer.key)))
    }
  }
  const lane = createRequestLanes()
  /** An API action request goes to its subject's lane (run in order); false for other events. */
  const handOver = (event: TandemEvent): boolean => {
    const manual = manualRequest(event)
    if (!manual) return false
    const runKey = `request:${event.id}`
    track(lane(event.subject, () => runQueuedAction(store, executor, manual, runKey)))
    return true
  }
  /** Runs what one event asks for, once its incident effects are applied (replays included). */
  const handle = async (event: TandemEvent, guard: LeaderGuard) => {
    if (handOver(event)) return
    const queued = queuedPolicyRun(event)
    // A policy asked for through the API runs as its requester, dry if asked; others as the daemon.
    const asked = policyRequest(event)
    await policies.match(event, {
      beforeTimers: async (fire, waiting) => {
        if (queued && fire.length === 0) track(settleQueued(store, queued, notMatched(event)))
        for (const match of fire) {
          const planned = await policies.plan(match, { context: planContext() })
          if (asked?.dryRun) planned.dryRun = true
          // Its run key is the event's: handled again after a crash, it reports the same run.
          const run = executor.execute(planned, asked)
          track(queued ? run.then((report) => settleQueued(store, queued, report)) : run)
        }
        if (fire.length > 0 && waiting.length > 0) await executor.acting(ACTING_WAIT_MS)
        for (const match of waiting)
          await notifier.onPending(
            pendingUpdate(match, await openPendingIncident(store, match, guard)),
          )
      },
    })
  }
  const remediate = async (batch: TandemEvent[], guard: LeaderGuard) => {
    // Counted once, by the leader that handles them, whichever instance or route wrote them.
    for (const event of batch) shared.events.inc({ type: event.type })
    for (const event of batch) {
      await applyToIncidents(store, event, guard)
      await handle(event, guard)
    }
    // The cursor update, notices and timers wait until these runs acted (bounded).
    await executor.acting(ACTING_WAIT_MS)
  }

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
      return monitoring
    },
    reloadConfig: () => follower.reload(),
    followConfig: () => follower.follow(),
    async lead({ wait = false, renew = true } = {}) {
      if (renew) await leadership.renew()
      const token = leadership.token()
      if (token === undefined) return { leading: false, events: 0 }
      const guard = (tx: Pick<Store['db'], 'select'>) => leadership.check(token, tx)
      // After a takeover, resume what the old leader left (once per token).
      if (token !== recoveredFor) {
        recoveredFor = token
        for (const report of await executor.recover())
          log.info('[runtime] resumed run', { run: report.runId })
        // Requests the old leader took past the cursor but never settled: an action it died
        // before beginning, or a policy whose run it died in (resumed above; handled again,
        // the run key finds that run, and the request's queued row learns its outcome).
        for (const event of await strandedRequests(store, EVENTS_CURSOR)) {
          log.info('[runtime] resuming a queued request', {
            event: event.id,
            subject: event.subject,
          })
          await handle(event, guard)
        }
      }
      // Its own lease lapsed and was re-taken with the same token: the runs the lapse cut short
      // go on (read back first, as after a crash); nobody else's are touched.
      track(executor.resumeAbandoned())
      const leading = true
      // Remediation, then notices: on one store connection the notice writes would stand
      // between a node.down and its fence (notices are grouped and sent later anyway). A
      // remediation that fails does not hold the notices back. The cursors move under the
      // token; a batch is handed over only while it still holds.
      let events = 0
      let failed: { error: unknown } | undefined
      try {
        events = await followEvents(store, EVENTS_CURSOR, (batch) => remediate(batch, guard), {
          guard,
        })
      } catch (error) {
        failed = { error }
      }
      await followEvents(
        store,
        NOTIFY_CURSOR,
        async (batch) => {
          await leadership.check(token)
          await notifier.onEvents(batch)
        },
        { guard },
      )
      if (failed) throw failed.error
      await fireDue()
      // Runs held by a blind monitor or unknown quorum go on once it cleared (a monitor.sighted
      // or the cluster row wakes this pass), while their failure still holds.
      track(executor.pollHeld())
      await executor.pollApprovals()
      await incidentHousekeeping(store, notifier, inventory.config.daemon.incident_hold_down, guard)
      if (wait) await settle()
      return { leading, events }
    },
    settle,
    wake,
    onWake(listener) {
      wakers.add(listener)
      return () => wakers.delete(listener)
    },
    async ready(timeoutMs) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const [row] = await store.db
          .select()
          .from(healthStates)
          .where(eq(healthStates.target, 'cluster'))
        if (row && row.state !== 'unknown') return true
        if (Date.now() > deadline) return false
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    async close() {
      await sharding?.stop()
      await monitoring?.stop()
      await settle()
      await notifier.stop()
      await policies.close()
      await leadership.release().catch(() => {})
      store.close()
    },
  }

  async function settle() {
    while (inFlight.size > 0) await Promise.all([...inFlight])
  }
}
