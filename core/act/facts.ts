// What the guards need to know, read from the store inside the deciding transaction.
import { and, count, eq, gte, inArray, isNotNull, lte, ne, sql } from 'drizzle-orm'
import { drainedServers, healthStates, incidents, runs, silences, steps } from '../store/index.ts'
import type { Tx } from './journal.ts'

/** Health states that mean "this target does not answer". */
export const FAILING_STATES = ['down', 'unreachable']

/** Start of the last run of `policy` for `incidentKey` that acted (not refused, not dry). */
export async function lastActedRun(
  tx: Tx,
  policy: string,
  incidentKey: string,
): Promise<number | undefined> {
  const rows = await tx
    .select({ at: sql<number>`max(${runs.startedAt})` })
    .from(runs)
    .innerJoin(incidents, eq(runs.incidentId, incidents.id))
    .where(
      and(
        eq(runs.policy, policy),
        eq(incidents.key, incidentKey),
        eq(runs.dryRun, false),
        inArray(runs.status, ['running', 'succeeded', 'failed']),
      ),
    )
  return rows[0]?.at ?? undefined
}

/** Runs of `policy` that acted since `since`. */
export async function actedRunsSince(tx: Tx, policy: string, since: number): Promise<number> {
  const rows = await tx
    .select({ n: count() })
    .from(runs)
    .where(
      and(
        eq(runs.policy, policy),
        gte(runs.startedAt, since),
        eq(runs.dryRun, false),
        inArray(runs.status, ['running', 'succeeded', 'failed']),
      ),
    )
  return rows[0]?.n ?? 0
}

/** Runs in flight, of one policy or of all. */
export async function runningRuns(tx: Tx, policy?: string): Promise<number> {
  const rows = await tx
    .select({ n: count() })
    .from(runs)
    .where(
      and(
        eq(runs.status, 'running'),
        eq(runs.dryRun, false),
        policy ? eq(runs.policy, policy) : undefined,
      ),
    )
  return rows[0]?.n ?? 0
}

/** Another step acting on the same target right now. */
export async function busyTarget(tx: Tx, target: string, stepId: string): Promise<string | null> {
  const rows = await tx
    .select({ id: steps.id })
    .from(steps)
    .where(and(eq(steps.target, target), eq(steps.status, 'running'), ne(steps.id, stepId)))
    .limit(1)
  return rows[0]?.id ?? null
}

/**
 * Fence steps that fired (any outcome) since `since`, across every policy; at most `limit` of
 * them (the guard only needs to know whether its count is reached).
 */
export async function fencesSince(tx: Tx, since: number, limit: number): Promise<string[]> {
  const rows = await tx
    .select({ node: steps.fenceNode })
    .from(steps)
    .where(and(isNotNull(steps.fenceNode), gte(steps.startedAt, since)))
    .limit(limit)
  return rows.map((r) => r.node ?? '')
}

export async function drainedIn(tx: Tx, service: string): Promise<string[]> {
  const rows = await tx
    .select({ node: drainedServers.node })
    .from(drainedServers)
    .where(eq(drainedServers.service, service))
  return rows.map((r) => r.node)
}

/**
 * Is tandem blind? Either the probe engine says so (health target `monitor` down), or more
 * than `threshold` of all node and check targets fail at once.
 */
export async function monitorBlind(
  tx: Tx,
  threshold: number,
): Promise<{ blind: boolean; reason: string }> {
  // One row, counted by SQLite: this runs before every destructive step.
  const targets = inArray(healthStates.kind, ['node', 'check'])
  const failingState = inArray(healthStates.state, FAILING_STATES)
  const [row] = await tx
    .select({
      monitor: sql<
        string | null
      >`max(case when ${healthStates.target} = 'monitor' then ${healthStates.state} end)`,
      total: sql<number>`coalesce(sum(case when ${targets} then 1 else 0 end), 0)`,
      failing: sql<number>`coalesce(sum(case when ${targets} and ${failingState} then 1 else 0 end), 0)`,
    })
    .from(healthStates)
  const monitor = row?.monitor
  if (monitor && FAILING_STATES.includes(monitor))
    return { blind: true, reason: `the probe engine reports the monitor ${monitor}` }
  const total = Number(row?.total ?? 0)
  const failing = Number(row?.failing ?? 0)
  if (total > 0 && failing / total > threshold)
    return {
      blind: true,
      reason: `${failing} of ${total} targets fail at once (more than ${Math.round(threshold * 100)}%): suspecting tandem's own network or probes`,
    }
  return { blind: false, reason: '' }
}

/** Maintenance windows active at `now`. */
export async function activeMaintenance(tx: Tx, now: number) {
  return tx
    .select()
    .from(silences)
    .where(
      and(eq(silences.kind, 'maintenance'), lte(silences.startsAt, now), gte(silences.endsAt, now)),
    )
}

/** The health store's state of a node (target `node2` or `node/node2`), if it has one. */
export async function nodeHealth(tx: Tx, node: string): Promise<string | undefined> {
  const rows = await tx
    .select({ state: healthStates.state })
    .from(healthStates)
    .where(and(eq(healthStates.kind, 'node'), inArray(healthStates.target, [node, `node/${node}`])))
  return rows[0]?.state
}
