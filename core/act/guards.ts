// The guards: every reason tandem may refuse to act, checked inside the deciding transaction.
import type { Inventory } from '../inventory/index.ts'
import { matchesAll } from '../inventory/index.ts'
import type { Plan } from '../policy/index.ts'
import {
  actedRunsSince,
  activeMaintenance,
  busyTarget,
  drainedIn,
  fencesSince,
  lastActedRun,
  monitorBlind,
  runningRuns,
} from './facts.ts'
import type { Tx } from './journal.ts'
import { storageBlindness } from './storage-guard.ts'
import type { ClusterSnapshot, Refusal } from './types.ts'

/** Guards that decide whether a run may start at all: cooldown, rate, concurrency. */
export async function runRefusal(
  tx: Tx,
  plan: Plan,
  now: number,
  maxConcurrentRuns: number,
): Promise<Refusal | undefined> {
  const { cooldownMs, maxRuns, concurrency } = plan.guards
  if (cooldownMs) {
    const last = await lastActedRun(tx, plan.policy, plan.incidentKey)
    if (last !== undefined && now - last < cooldownMs)
      return {
        guard: 'cooldown',
        reason: `last run for ${plan.incidentKey} started ${seconds(now - last)} ago; cooldown is ${seconds(cooldownMs)}`,
        until: last + cooldownMs,
      }
  }
  // max_runs gives no `until` (its refusal is final): it bounds a policy across all incidents,
  // and deferring each refused incident would replay the whole storm when the window reopens.
  if (maxRuns) {
    const n = await actedRunsSince(tx, plan.policy, now - maxRuns.windowMs)
    if (n >= maxRuns.count)
      return {
        guard: 'max_runs',
        reason: `${n} runs of ${plan.policy} in the last ${seconds(maxRuns.windowMs)} (limit ${maxRuns.count})`,
      }
  }
  if (concurrency !== undefined && (await runningRuns(tx, plan.policy)) >= concurrency)
    return { guard: 'concurrency', reason: `${concurrency} run(s) of ${plan.policy} in flight` }
  if ((await runningRuns(tx)) >= maxConcurrentRuns)
    return { guard: 'concurrency', reason: `${maxConcurrentRuns} runs in flight (global limit)` }
  return undefined
}

/** What the step guards look at for one step. */
export interface StepFacts {
  stepId: string
  uses: string
  destructive: boolean
  fenceNode: string | null
  target: string | null
  drains: { service: string; node: string; drained: boolean }[]
  places: { service: string; node: string }[]
  labels: Record<string, string>
  cluster: ClusterSnapshot
  now: number
}

/**
 * Guards for one step, in the order an operator reasons: maintenance, blind monitor, quorum,
 * fences per window, blast radius, a busy target.
 */
export async function stepRefusal(
  tx: Tx,
  plan: Plan,
  inventory: Inventory,
  facts: StepFacts,
  blindThreshold: number,
): Promise<Refusal | undefined> {
  const { guards } = plan
  if (guards.maintenanceAware) {
    for (const window of await activeMaintenance(tx, facts.now))
      if (matchesAll(facts.labels, window.matchers))
        return {
          guard: 'maintenance',
          reason: `maintenance window ${window.id} (${window.comment}) until ${new Date(window.endsAt).toISOString()}`,
        }
  }
  if (facts.destructive) {
    const blind = await monitorBlind(tx, blindThreshold)
    if (blind.blind) return { guard: 'monitor_blind', reason: `monitor blind: ${blind.reason}` }
    if (guards.requireQuorum && inventory.config.cluster && facts.cluster.quorate !== true)
      return {
        guard: 'quorum',
        reason:
          facts.cluster.quorate === false
            ? `the cluster is inquorate (${facts.cluster.source})`
            : `cluster quorum is unknown (${facts.cluster.source}): no destructive action`,
      }
  }
  if (facts.fenceNode && guards.maxFences) {
    const { count, windowMs } = guards.maxFences
    const fenced = await fencesSince(tx, facts.now - windowMs, count)
    if (fenced.length >= count)
      return {
        guard: 'max_fences',
        reason: `${fenced.length} fence(s) in the last ${seconds(windowMs)} (${fenced.join(', ')}; limit ${count})`,
      }
  }
  const blast = await blastRadius(tx, inventory, facts, guards.maxDrainedPercent)
  if (blast) return blast
  const blind = await storageBlind(tx, inventory, facts.places)
  if (blind) return blind
  if (facts.target) {
    const other = await busyTarget(tx, facts.target, facts.stepId)
    if (other) return { guard: 'busy_target', reason: `${facts.target} is busy with ${other}` }
  }
  return undefined
}

async function blastRadius(
  tx: Tx,
  inventory: Inventory,
  facts: StepFacts,
  maxPercent: number | undefined,
): Promise<Refusal | undefined> {
  if (maxPercent === undefined) return undefined
  for (const change of facts.drains) {
    if (!change.drained) continue
    const pool = inventory.service(change.service)?.real_servers.length ?? 0
    if (pool === 0) continue
    const drained = new Set(await drainedIn(tx, change.service))
    drained.add(change.node)
    const percent = (drained.size / pool) * 100
    if (percent > maxPercent)
      return {
        guard: 'blast_radius',
        reason: `draining ${change.node} would leave ${drained.size} of ${pool} real servers of ${change.service} drained (${Math.round(percent)}% > ${maxPercent}%)`,
      }
  }
  return undefined
}

/** The first placement onto a node that cannot use the service's GFS volumes, as a refusal. */
async function storageBlind(
  tx: Tx,
  inventory: Inventory,
  places: StepFacts['places'],
): Promise<Refusal | undefined> {
  for (const place of places) {
    const reason = await storageBlindness(tx, inventory, place.service, place.node)
    if (reason) return { guard: 'storage_blind', reason }
  }
  return undefined
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 6_000) / 10}m` : `${Math.round(ms / 100) / 10}s`
}
