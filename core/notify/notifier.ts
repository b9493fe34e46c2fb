// The notify area's engine: events and run updates in, notices out through the durable outbox.
import type { Escalation as ActEscalation } from '../act/index.ts'
import { TandemError } from '../errors.ts'
import type { TandemEvent } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { CommandRunner, Logger, Notice, Secrets } from '../plugin/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import type { Store } from '../store/index.ts'
import { createChannelResolver } from './channels.ts'
import type { NotifyContext } from './context.ts'
import { type DeliveryReport, deliverAll } from './deliver.ts'
import { type Dispatch, loadDispatch, recordNotice } from './dispatch.ts'
import { flushDueGroups, remindThreads } from './flush.ts'
import { ingestEvents } from './ingest.ts'
import { escalationNotice } from './notice.ts'
import { type OutboxStats, outboxStats, retryDead, testNotice } from './operator.ts'
import { pruneOutbox } from './outbox.ts'
import { applyPending, type PendingUpdate } from './pending.ts'
import { enableReceiver } from './receivers.ts'
import { pruneAlerts } from './tables.ts'
import { applyIncidentResolved, applyRunUpdate, type RunUpdate } from './threads.ts'
import { createWorker } from './worker.ts'
import { commit } from './write.ts'

/**
 * Something a human must look at now: the executor's `Escalation`, whose `refused` and `at` other
 * callers may leave out, plus the run's steps and policy when known. Never muted.
 */
export interface Escalation
  extends Omit<ActEscalation, 'refused' | 'at'>,
    Partial<Pick<ActEscalation, 'refused' | 'at'>> {
  steps?: { step: string; uses: string; status: string; detail: string }[]
  policy?: string
}

export interface NotifierDeps {
  store: Store
  inventory: Inventory
  registry: Registry
  secrets: Secrets
  log: Logger
  /** Tests inject a clock to live through minutes of backoff in milliseconds. */
  clock?: { now(): number }
  /** Notifiers run no commands; the default runner refuses. */
  runner?: CommandRunner
  random?: () => number
  options?: {
    /** How often the worker looks for due groups and notices (default 1 s). */
    tickMs?: number
    /** Added to the longest channel timeout to form a claim's lease (default 15 s). */
    leaseMarginMs?: number
    /** Notices being sent at once (default 32). */
    concurrency?: number
    /** Delivered and muted notices are kept this long (default 7 days; dead letters 4×). */
    keepMs?: number
  }
}

export interface Notifier {
  /** Health events in: alerts fire, resolve, group. Call with every batch of new events. */
  onEvents(events: readonly TandemEvent[]): Promise<void>
  /** A remediation moved (started, succeeded, failed, blocked). */
  onRun(update: RunUpdate): Promise<void>
  /** A policy waits (`for:`) before acting on an event: the story's first notice. */
  onPending(update: PendingUpdate): Promise<void>
  /** Same as onRun: the executor's `NoticeSink` name. */
  runUpdate(update: RunUpdate): Promise<void>
  /** An incident resolved: its thread's one "resolved" notice (nothing when already said). */
  incidentResolved(incident: { incidentId: string; title: string; at: number }): Promise<void>
  /** Straight to the escalation receiver, past silences and maintenance. */
  escalate(escalation: Escalation): Promise<void>
  /** One pass: flush due groups, remind open threads, deliver every due notice. */
  deliverDue(): Promise<DeliveryReport>
  /** Runs deliverDue every tick (and right after new notices); stop() waits for the pass. */
  start(): void
  stop(): Promise<void>
  /** A new config took effect (hot reload): routes and channels come from it from now on. */
  reload(inventory: Inventory): void
  /** Queues a test notice to a channel; returns its id. */
  sendTest(channel: string): Promise<string>
  enableReceiver(receiver: string): Promise<boolean>
  /** Dead letters back to pending (one, or all of them); returns how many. */
  retryDead(id?: string): Promise<number>
  stats(): Promise<OutboxStats>
}

const PRUNE_EVERY_MS = 3_600_000

/**
 * Creates the notifier the daemon and the executor share.
 *
 * @example
 * const notifier = createNotifier({ store, inventory, registry, secrets, log })
 * notifier.start()
 * await notifier.onEvents([{ type: 'node.down', subject: 'node2', at: Date.now(), labels: { severity: 'critical', node: 'node2' }, payload: {} }])
 * await notifier.stop()
 */
export function createNotifier(deps: NotifierDeps): Notifier {
  const now = () => deps.clock?.now() ?? Date.now()
  const opts = {
    tickMs: 1_000,
    leaseMarginMs: 15_000,
    concurrency: 32,
    keepMs: 7 * 86_400_000,
    ...deps.options,
  }
  const resolveChannel = createChannelResolver(deps.registry)
  let inventory = deps.inventory
  let lastPrune = 0
  const context = (): NotifyContext => ({
    store: deps.store,
    config: inventory.config,
    now: now(),
    log: deps.log,
  })

  const worker = createWorker(
    async function pass() {
      const ctx = context()
      await flushDueGroups(ctx)
      await remindThreads(ctx)
      if (ctx.now - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = ctx.now
        await commit(deps.store.client, [
          pruneOutbox(ctx.now, opts.keepMs),
          pruneAlerts(ctx.now - PRUNE_EVERY_MS),
        ])
      }
      return deliverAll({
        ...deps,
        config: ctx.config,
        inventory,
        runner: deps.runner ?? refusingRunner,
        resolveChannel,
        now,
        random: deps.random ?? Math.random,
        leaseMarginMs: opts.leaseMarginMs,
        concurrency: opts.concurrency,
      })
    },
    opts.tickMs,
    deps.log,
  )
  /** Queues a notice that bypasses routing (escalations, tests): never muted. */
  const queueDirect = async (build: (ctx: NotifyContext, d: Dispatch) => Notice) => {
    const ctx = context()
    const d = await loadDispatch(ctx)
    const notice = build(ctx, d)
    await commit(deps.store.client, [recordNotice(notice, d, { mutable: false }).write])
    worker.kick()
    return notice.id
  }
  const onRun = async (update: RunUpdate) => {
    await applyRunUpdate(context(), update)
    worker.kick()
  }

  return {
    async onEvents(events) {
      await ingestEvents(context(), events)
      worker.kick()
    },
    onRun,
    runUpdate: onRun,
    async onPending(update) {
      await applyPending(context(), update)
      worker.kick()
    },
    async incidentResolved(incident) {
      await applyIncidentResolved(context(), incident.incidentId)
      worker.kick()
    },
    async escalate(escalation) {
      const receiver = (await loadDispatch(context())).escalation
      if (!receiver) {
        deps.log.error(
          '[notify] escalation with no receiver: add routes.escalation to the config',
          { title: escalation.title },
        )
        return
      }
      await queueDirect((ctx, d) => escalationNotice(escalation, receiver, ctx.now, d.publicUrl))
    },
    deliverDue: worker.deliverDue,
    start: worker.start,
    async stop() {
      await worker.stop()
      const notifiers = deps.registry.plugins.flatMap((p) => Object.values(p.notifiers ?? {}))
      await Promise.all(notifiers.map((n) => n.close?.()))
    },
    reload(next) {
      inventory = next
    },
    async sendTest(channel) {
      if (!inventory.config.channels.some((c) => c.name === channel))
        throw new TandemError('NOT_FOUND', `[notify] no channel named "${channel}"`)
      return queueDirect((ctx, d) => testNotice(channel, ctx.now, d.publicUrl))
    },
    enableReceiver: (receiver) => enableReceiver(deps.store.db, receiver, now()),
    async retryDead(id) {
      const count = await retryDead(deps.store.db, now(), id)
      worker.kick()
      return count
    },
    stats: () => outboxStats(deps.store.db, now()),
  }
}

const refusingRunner: CommandRunner = {
  async run() {
    throw new TandemError('COMMAND_FAILED', '[notify] notifiers do not run commands')
  },
}
