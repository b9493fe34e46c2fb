// One delivery pass: claim due notices, send each through its channel's notifier, settle the outcome.
import type { Config, Inventory } from '../inventory/index.ts'
import type {
  CommandRunner,
  DeliveryResult,
  Logger,
  Notice,
  NotifierContext,
  Secrets,
} from '../plugin/index.ts'
import type { Store } from '../store/index.ts'
import { retryDelayMs } from './backoff.ts'
import type { ResolvedChannel } from './channels.ts'
import { type ClaimedNotice, claimDue, type Settlement, settle } from './outbox.ts'
import { disableReceiver } from './receivers.ts'
import { renderNotice } from './render.ts'
import { commit, type Write } from './write.ts'

export interface DeliverDeps {
  store: Store
  config: Config
  inventory: Inventory
  secrets: Secrets
  log: Logger
  runner: CommandRunner
  resolveChannel(config: Config, name: string): ResolvedChannel | string
  now(): number
  random(): number
  /** Added to the longest channel timeout: how long a claim protects a notice being sent. */
  leaseMarginMs: number
  /** Sends in flight at once in one pass. */
  concurrency: number
}

export interface DeliveryReport {
  delivered: number
  retrying: number
  dead: number
}

/**
 * Delivers every due notice: claims as many as there are free slots, sends them, records each
 * outcome as soon as it is known (so a crash loses at most the sends in flight), and claims
 * again, until nothing is due. Within a group, the next notice becomes due when the one
 * before it settles.
 */
export async function deliverAll(deps: DeliverDeps): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: 0, retrying: 0, dead: 0 }
  const leaseMs =
    Math.max(...deps.config.channels.map((c) => c.timeout), 1_000) + deps.leaseMarginMs
  // Claim when half the slots are free: one claim (one fsync) per several notices, not per notice.
  const refill = Math.max(1, Math.floor(deps.concurrency / 2))
  const settler = createSettler(deps, report)
  const running = new Set<Promise<void>>()
  for (;;) {
    const free = deps.concurrency - running.size
    if (running.size === 0 || free >= refill) {
      const settledBefore = settler.settled()
      const claimed = await claimDue(deps.store.client, deps.now(), leaseMs, free)
      for (const notice of claimed) {
        const sending: Promise<void> = attempt(deps, notice)
          .then(settler.add)
          .finally(() => running.delete(sending))
        running.add(sending)
      }
      if (claimed.length === 0 && running.size === 0) {
        // Outcomes still being written may make the next notice of their group due.
        await settler.drain()
        if (settler.settled() === settledBefore) break
        continue
      }
      if (claimed.length === free) continue
    }
    if (running.size > 0) await Promise.race(running)
  }
  await settler.drain()
  return report
}

/** Outcomes are written together after this long (or this many): a local commit blocks for an fsync. */
const SETTLE_DELAY_MS = 5
const SETTLE_BATCH = 32

/** Writes outcomes in batches as they arrive: one transaction for whatever piled up meanwhile. */
function createSettler(deps: DeliverDeps, report: DeliveryReport) {
  let queue: Write[] = []
  let flushing: Promise<void> | undefined
  let wake: (() => void) | undefined
  let settled = 0
  const flush = async () => {
    await new Promise<void>((resolve) => {
      wake = resolve
      setTimeout(resolve, SETTLE_DELAY_MS)
    })
    while (queue.length > 0) {
      const batch = queue
      queue = []
      try {
        await commit(deps.store.client, batch)
      } catch (error) {
        // The claims expire and the notices are sent again (same ids): receivers de-duplicate.
        deps.log.error('[notify] could not record delivery outcomes', {
          error: (error as Error).message,
        })
      }
      settled += batch.length
    }
    wake = undefined
    flushing = undefined
  }
  return {
    add(outcome: Outcome): void {
      const { settlement } = outcome
      if (settlement.outcome === 'delivered') report.delivered++
      else if (settlement.outcome === 'retry') report.retrying++
      else report.dead++
      queue.push(settle(settlement))
      if (outcome.disable)
        queue.push(...disableReceiver(deps, outcome.disable.notice, outcome.disable.detail))
      flushing ??= flush()
      if (queue.length >= SETTLE_BATCH) wake?.()
    },
    /** Writes what is queued now and waits for it. */
    drain(): Promise<void> {
      wake?.()
      return flushing ?? Promise.resolve()
    },
    settled: () => settled,
  }
}

interface Outcome {
  settlement: Settlement
  disable?: { notice: Notice; detail: string }
}

async function attempt(deps: DeliverDeps, claimed: ClaimedNotice): Promise<Outcome> {
  const { notice, attempts } = claimed
  const base = { id: notice.id, attempts }
  const resolved = deps.resolveChannel(deps.config, notice.receiver)
  if (typeof resolved === 'string') return dead(deps, notice, base, resolved)
  const { retry, timeout } = resolved.channel
  if (attempts > retry.max_attempts)
    return dead(deps, notice, base, `gave up: claimed ${attempts - 1} times without an answer`)
  const result = await send(deps, notice, resolved, timeout)
  const at = deps.now()
  if (result.ok) return { settlement: { ...base, outcome: 'delivered', at } }
  if (result.disable)
    return {
      ...dead(deps, notice, base, result.detail),
      disable: { notice, detail: result.detail },
    }
  if (!result.retry) return dead(deps, notice, base, result.detail)
  if (attempts >= retry.max_attempts)
    return dead(deps, notice, base, `gave up after ${attempts} attempts: ${result.detail}`)
  const delay = retryDelayMs(attempts, retry, deps.random, result.retryAfterMs)
  deps.log.warn('[notify] delivery failed; will retry', {
    notice: notice.id,
    receiver: notice.receiver,
    attempt: attempts,
    inMs: delay,
    detail: result.detail,
  })
  return {
    settlement: { ...base, outcome: 'retry', at, nextAt: at + delay, detail: result.detail },
  }
}

/** Runs the notifier with the channel's timeout; a notifier that throws or hangs is a retryable failure. */
async function send(
  deps: DeliverDeps,
  notice: Notice,
  resolved: ResolvedChannel,
  timeoutMs: number,
): Promise<DeliveryResult> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const ctx: NotifierContext = {
    config: resolved.pluginConfig,
    inventory: deps.inventory,
    runner: deps.runner,
    log: deps.log,
    signal: controller.signal,
    timeoutMs,
    secrets: deps.secrets,
    dryRun: false,
    rendered: renderNotice(notice),
    channelName: resolved.channel.name,
  }
  const timeout = new Promise<DeliveryResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`))
      // Grace for the notifier to notice the abort and answer itself.
      setTimeout(
        () => resolve({ ok: false, retry: true, detail: `timed out after ${timeoutMs} ms` }),
        1_000,
      ).unref()
    }, timeoutMs)
  })
  try {
    return await Promise.race([
      resolved.notifier.send(notice, resolved.settings, ctx).catch(
        (error: unknown): DeliveryResult => ({
          ok: false,
          retry: true,
          detail: `[${resolved.plugin.name}] ${(error as Error).message ?? String(error)}`,
        }),
      ),
      timeout,
    ])
  } finally {
    clearTimeout(timer)
  }
}

function dead(
  deps: DeliverDeps,
  notice: Notice,
  base: { id: string; attempts: number },
  detail: string,
): Outcome {
  deps.log.error('[notify] notice is a dead letter', {
    notice: notice.id,
    receiver: notice.receiver,
    attempts: base.attempts,
    detail,
  })
  return { settlement: { ...base, outcome: 'dead', at: deps.now(), detail } }
}
