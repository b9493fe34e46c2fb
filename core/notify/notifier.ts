// The notify area's engine: events and run updates in, notices out through the durable outbox.
import { and, eq, sql } from 'drizzle-orm'
import { TandemError } from '../errors.ts'
import type { TandemEvent } from '../health/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { CommandRunner, Logger, Registry, Secrets } from '../plugin/index.ts'
import { outbox, receiverStates, type Store } from '../store/index.ts'
import { createChannelResolver } from './channels.ts'
import type { NotifyContext } from './context.ts'
import { type DeliveryReport, deliverAll } from './deliver.ts'
import { loadDispatch, recordNotice } from './dispatch.ts'
import { flushDueGroups, remindThreads } from './flush.ts'
import { noticeId } from './ids.ts'
import { ingestEvents } from './ingest.ts'
import { escalationNotice } from './notice.ts'
import { pruneOutbox } from './outbox.ts'
import { enableReceiver } from './receivers.ts'
import { pruneAlerts } from './tables.ts'
import { applyRunUpdate, type RunUpdate } from './threads.ts'
import { commit } from './write.ts'

/** Something a human must look at now (the executor's `Escalation`). Never muted. */
export interface Escalation {
  incidentId: string
  runId?: string
  stepId?: string
  severity: 'warning' | 'critical'
  title: string
  detail: string
  labels: Record<string, string>
  refused?: { what: string; guard: string; reason: string }[]
  steps?: { step: string; uses: string; status: string; detail: string }[]
  policy?: string
  at?: number
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

/** Outbox counts for the dashboard and /metrics. */
export interface OutboxStats {
  pending: number
  delivering: number
  delivered: number
  dead: number
  muted: number
  /** Age of the oldest notice still waiting, in ms (0 when none). */
  oldestPendingMs: number
  disabledReceivers: { receiver: string; reason: string | null }[]
}

export interface Notifier {
  /** Health events in: alerts fire, resolve, group. Call with every batch of new events. */
  onEvents(events: readonly TandemEvent[]): Promise<void>
  /** A remediation moved (started, succeeded, failed, blocked). */
  onRun(update: RunUpdate): Promise<void>
  /** Same as onRun: the executor's `NoticeSink` name. */
  runUpdate(update: RunUpdate): Promise<void>
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
  let timer: NodeJS.Timeout | undefined
  let running: Promise<DeliveryReport> | undefined
  let started = false
  let lastPrune = 0

  const context = (): NotifyContext => ({
    store: deps.store,
    config: inventory.config,
    now: now(),
    log: deps.log,
  })

  async function pass(): Promise<DeliveryReport> {
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
  }

  /** Waits for a pass in progress, then runs a fresh one (new notices are never missed). */
  async function deliverDue(): Promise<DeliveryReport> {
    while (running) await running.catch(() => undefined)
    running = pass().finally(() => {
      running = undefined
    })
    return running
  }

  const schedule = (delayMs: number) => {
    if (!started) return
    clearTimeout(timer)
    timer = setTimeout(function notifyTick() {
      void tick()
    }, delayMs)
    timer.unref?.()
  }
  const tick = async () => {
    try {
      await deliverDue()
    } catch (error) {
      deps.log.error('[notify] delivery pass failed', { error: (error as Error).message })
    }
    schedule(opts.tickMs)
  }
  // New notices are delivered right away, not at the next tick.
  const kick = () => schedule(0)

  return {
    async onEvents(events) {
      await ingestEvents(context(), events)
      kick()
    },
    async onRun(update) {
      await applyRunUpdate(context(), update)
      kick()
    },
    async runUpdate(update) {
      await applyRunUpdate(context(), update)
      kick()
    },
    async escalate(escalation) {
      const ctx = context()
      const d = await loadDispatch(ctx)
      if (!d.escalation) {
        deps.log.error(
          '[notify] escalation with no receiver: add routes.escalation to the config',
          { title: escalation.title },
        )
        return
      }
      const notice = escalationNotice(escalation, d.escalation, ctx.now, d.publicUrl)
      await commit(deps.store.client, [recordNotice(notice, d, { mutable: false }).write])
      kick()
    },
    deliverDue,
    start() {
      if (started) return
      started = true
      kick()
    },
    async stop() {
      started = false
      clearTimeout(timer)
      await running?.catch(() => undefined)
      await Promise.all(
        deps.registry.plugins
          .flatMap((p) => Object.values(p.notifiers ?? {}))
          .map((n) => n.close?.()),
      )
    },
    reload(next) {
      inventory = next
    },
    async sendTest(channel) {
      const ctx = context()
      if (!ctx.config.channels.some((c) => c.name === channel))
        throw new TandemError('NOT_FOUND', `[notify] no channel named "${channel}"`)
      const notice = testNotice(channel, ctx.now, ctx.config.daemon.public_url)
      const d = await loadDispatch(ctx)
      await commit(deps.store.client, [recordNotice(notice, d, { mutable: false }).write])
      kick()
      return notice.id
    },
    enableReceiver: (receiver) => enableReceiver(deps.store.db, receiver, now()),
    async retryDead(id) {
      const result = await deps.store.db
        .update(outbox)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: now(), lastError: null })
        .where(id ? and(eq(outbox.status, 'dead'), eq(outbox.id, id)) : eq(outbox.status, 'dead'))
      kick()
      return result.rowsAffected
    },
    stats: () => outboxStats(deps.store, now()),
  }
}

async function outboxStats(store: Store, now: number): Promise<OutboxStats> {
  const counts = await store.db
    .select({
      status: outbox.status,
      n: sql<number>`count(*)`,
      oldest: sql<number | null>`min(${outbox.createdAt})`,
    })
    .from(outbox)
    .groupBy(outbox.status)
  const by = (status: string) => counts.find((c) => c.status === status)
  const oldest = by('pending')?.oldest
  const disabled = await store.db
    .select({ receiver: receiverStates.receiver, reason: receiverStates.reason })
    .from(receiverStates)
    .where(eq(receiverStates.disabled, true))
  return {
    pending: Number(by('pending')?.n ?? 0),
    delivering: Number(by('delivering')?.n ?? 0),
    delivered: Number(by('delivered')?.n ?? 0),
    dead: Number(by('dead')?.n ?? 0),
    muted: Number(by('muted')?.n ?? 0),
    oldestPendingMs: oldest ? Math.max(0, now - Number(oldest)) : 0,
    disabledReceivers: disabled,
  }
}

function testNotice(receiver: string, now: number, publicUrl: string | undefined) {
  return {
    id: noticeId(now),
    receiver,
    groupKey: `test/${receiver}`,
    status: 'firing' as const,
    severity: 'info' as const,
    title: `test notice from tandem to ${receiver}`,
    summary: 'If you can read this, the channel works. Nothing is wrong.',
    labels: { severity: 'info', event: 'test' },
    events: [],
    actions: [],
    refused: [],
    links: publicUrl ? [{ label: 'dashboard', url: publicUrl }] : [],
    createdAt: now,
  }
}

const refusingRunner: CommandRunner = {
  async run() {
    throw new TandemError('COMMAND_FAILED', '[notify] notifiers do not run commands')
  },
}
