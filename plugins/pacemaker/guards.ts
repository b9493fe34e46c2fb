// Shared pieces of the Pacemaker actions: lifetimes, pre-checks from crm_mon, and waiting for a transition.
import { Duration, PluginError, type VerifyResult, z } from '../../core/plugin/index.ts'
import type { NodeStatus, PacemakerStatus } from './crm-mon.ts'
import { type Ctx, readStatus } from './crm-tools.ts'

const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/

/**
 * How long a move/ban constraint lasts: an ISO 8601 duration as crm_resource takes it (`PT1H`,
 * `P1D`), or a tandem duration (`90m`, `2h`) which is converted to one.
 */
export const Lifetime = z.union([
  z
    .string()
    .regex(ISO_DURATION, 'expected an ISO 8601 duration such as "PT1H" or a duration such as "1h"'),
  Duration.transform(isoDuration),
])

/** 5400000 → `PT1H30M`, 86400000 → `P1D`. */
export function isoDuration(ms: number): string {
  let seconds = Math.max(1, Math.round(ms / 1000))
  const days = Math.floor(seconds / 86_400)
  seconds -= days * 86_400
  const parts = [
    [Math.floor(seconds / 3600), 'H'],
    [Math.floor((seconds % 3600) / 60), 'M'],
    [seconds % 60, 'S'],
  ] as const
  const time = parts
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join('')
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`
}

/**
 * An inquorate partition must not push resources around: with no-quorum-policy its scheduler
 * does nothing, and its CIB changes fight the quorate side's when the partitions merge.
 */
export function refuseWithoutQuorum(status: PacemakerStatus, what: string): void {
  if (status.quorum !== false) return
  throw new PluginError(
    'pacemaker',
    'NO_QUORUM',
    `Current DC: ${status.dc ?? 'NONE'} - partition WITHOUT quorum`,
    { context: `not going to ${what}` },
  )
}

/** A destination must be an online, clean, active node; crm_resource itself only checks that it exists. */
export function requireUsableNode(status: PacemakerStatus, node: string): void {
  const found = status.nodes.find((n) => n.name === node)
  if (!found) return // crm_resource answers "Node '…' not found" (105) itself
  const state = nodeState(found)
  if (state === 'online') return
  throw new PluginError(
    'pacemaker',
    state === 'standby' ? 'NODE_STANDBY' : 'NODE_NOT_MEMBER',
    `Node ${node}: ${state}`,
    { context: 'crm_mon' },
  )
}

/** crm_mon's words for a node: `UNCLEAN (offline)`, `OFFLINE`, `standby`, `maintenance`, `online`. */
export function nodeState(node: NodeStatus): string {
  if (node.unclean) return node.online ? 'UNCLEAN (online)' : 'UNCLEAN (offline)'
  if (!node.online) return 'OFFLINE'
  if (node.standby) return 'standby'
  if (node.maintenance) return 'maintenance'
  return 'online'
}

/**
 * Reads the cluster until `check` passes or the settle timeout ends: Pacemaker carries out a
 * transition asynchronously, seconds after crm_resource returns.
 */
export async function settle(
  ctx: Ctx,
  check: (status: PacemakerStatus) => VerifyResult | Promise<VerifyResult>,
): Promise<VerifyResult> {
  const deadline = Date.now() + ctx.config.settle_timeout
  for (;;) {
    const verdict = await check(await readStatus(ctx))
    if (verdict.ok || Date.now() >= deadline || ctx.signal.aborted) return verdict
    await sleep(Math.min(ctx.config.settle_interval, deadline - Date.now()), ctx.signal)
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
