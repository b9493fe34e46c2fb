// One delivery pass: claim due notices, send each through its channel's notifier, settle the outcome.
import { crashPoint } from '../crash-points.ts'
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
import { type ClaimedNotice, claimDue, extendClaims, type Settlement, settle } from './outbox.ts'
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
 * before it settles. While a notice is out, its claim is extended (a slow delivery is not a
 * lost one: nobody else may send it meanwhile), until its outcome is on record.
 */
export async function deliverAll(deps: DeliverDeps): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: 0, retrying: 0, dead: 0 }
  const leaseMs =
    Math.max(...deps.config.channels.map((c) => c.timeout), 1_000) + deps.leaseMarginMs
  // Claim when half the slots are free: one claim (one fsync) per several notices, not per notice.
  const refill = Math.max(1, Math.floor(deps.concurrency / 2))
  const owned = new Map<string, number>()
  const settler = createSettler(deps, report, owned)
  const heartbeat = startHeartbeat(deps, owned, leaseMs)
  const running = new Set<Promise<void>>()
  try {
    for (;;) {
      const free = deps.concurrency - running.size
      if (running.size === 0 || free >= refill) {
        const settledBefore = settler.settled()
        const claimed = await claimDue(deps.store.client, deps.now(), leaseMs, free)
        for (const notice of claimed) {
          owned.set(notice.notice.id, notice.attempts)
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
  } finally {
    await heartbeat.stop()
  }
  return report
}

/**
 * Every third of a lease, moves the lease of every claim still out (sending, or its outcome not
 * yet written) a full lease ahead. A heartbeat that cannot write is logged and tried next time.
 */
function startHeartbeat(deps: DeliverDeps, owned: Map<string, number>, leaseMs: number) {
  let beating: Promise<void> | undefined
  const beat = async () => {
    const claims = [...owned].map(([id, attempts]) => ({ id, attempts }))
    if (claims.length === 0) return
    try {
      await commit(deps.store.client, extendClaims(claims, deps.now() + leaseMs))
    } catch (error) {
      deps.log.warn('[notify] could not extend the claims of notices being sent', {
        error: (error as Error).message,
      })
    }
  }
  const timer = setInterval(
    () => {
      beating ??= beat().finally(() => {
        beating = undefined
      })
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  )
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await beating
    },
  }
}

/** Outcomes are written together after this long (or this many): a local commit blocks for an fsync. */
const SETTLE_DELAY_MS = 5
const SETTLE_BATCH = 32
/** An outcome that cannot be written (store busy) is tried again this often, this many times. */
const SETTLE_RETRY_MS = 1_000
const SETTLE_TRIES = 10

/**
 * Writes outcomes in batches as they arrive: one transaction for whatever piled up meanwhile.
 * A batch that cannot be written is tried again (the claims stay extended meanwhile): dropping
 * it would let the claims expire and a delivered notice be sent again.
 */
function createSettler(deps: DeliverDeps, report: DeliveryReport, owned: Map<string, number>) {
  let queue: { id: string; writes: Write[] }[] = []
  let flushing: Promise<void> | undefined
  let wake: (() => void) | undefined
  let settled = 0
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve
      setTimeout(resolve, ms)
    })
  const write = async (batch: { id: string; writes: Write[] }[]) => {
    for (let tries = 1; ; tries++) {
      try {
        await commit(
          deps.store.client,
          batch.flatMap((b) => b.writes),
        )
        return
      } catch (error) {
        const message = (error as Error).message
        if (tries >= SETTLE_TRIES) {
          // The claims expire and the notices may be sent again (same ids): receivers de-duplicate.
          deps.log.error('[notify] could not record delivery outcomes; giving up', {
            error: message,
            notices: batch.map((b) => b.id),
          })
          return
        }
        deps.log.warn('[notify] could not record delivery outcomes; trying again', {
          error: message,
        })
        await new Promise((resolve) => setTimeout(resolve, SETTLE_RETRY_MS))
      }
    }
  }
  const flush = async () => {
    await pause(SETTLE_DELAY_MS)
    while (queue.length > 0) {
      const batch = queue
      queue = []
      await write(batch)
      for (const { id } of batch) owned.delete(id)
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
      const writes = [settle(settlement)]
      if (outcome.disable)
        writes.push(...disableReceiver(deps, outcome.disable.notice, outcome.disable.detail))
      queue.push({ id: settlement.id, writes })
      flushing ??= flush()
      // A delivery is written at once: until it is, a crash sends the notice again. Failures
      // may wait the few ms that batch them.
      if (settlement.outcome === 'delivered' || queue.length >= SETTLE_BATCH) wake?.()
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
  if (result.ok) {
    // The at-least-once window opens here and closes when the settler commits the outcome.
    crashPoint('notice.sent')
    return { settlement: { ...base, outcome: 'delivered', at } }
  }
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

/**
 * How long past its timeout a notifier that was told to stop (aborted) may still answer. Its
 * answer decides, because a send that finishes late has still reached the receiver: recording it
 * as failed would send it again. Only a notifier that ignores the abort this long is given up on.
 */
export const ABANDON_AFTER_TIMEOUTS = 4

/** Runs the notifier with the channel's timeout; a notifier that throws or never answers is a retryable failure. */
async function send(
  deps: DeliverDeps,
  notice: Notice,
  resolved: ResolvedChannel,
  timeoutMs: number,
): Promise<DeliveryResult> {
  const controller = new AbortController()
  const timers: NodeJS.Timeout[] = []
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
  timers.push(
    setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs),
  )
  const abandonMs = ABANDON_AFTER_TIMEOUTS * timeoutMs
  const abandoned = new Promise<DeliveryResult>((resolve) => {
    timers.push(
      setTimeout(() => {
        deps.log.warn('[notify] notifier did not answer; the notice may have arrived anyway', {
          notice: notice.id,
          receiver: notice.receiver,
          waitedMs: abandonMs,
        })
        resolve({ ok: false, retry: true, detail: `no answer within ${abandonMs} ms` })
      }, abandonMs),
    )
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
      abandoned,
    ])
  } finally {
    for (const timer of timers) clearTimeout(timer)
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
