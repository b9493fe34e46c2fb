// Gauges read from the store at scrape time: check states, fence states, outbox depth, runs, approvals, silences.
import { and, count, eq, gt, lte, min } from 'drizzle-orm'
import type { Metrics } from '../metrics/index.ts'
import {
  approvals,
  fenceStates,
  healthStates,
  outbox,
  policyStates,
  runs,
  silences,
} from '../store/index.ts'
import type { ApiContext } from './deps.ts'
import { policyState } from './endpoints/policies.ts'

const registered = new WeakSet<Metrics>()

/**
 * Registers one scrape-time collector per registry. Every instance reports the same shared
 * numbers (they come from the store), so dashboards should `max()` them across instances.
 * A store that cannot be read sets `tandem_store_up 0` and the scrape still succeeds.
 */
export function collectStoreMetrics(api: ApiContext): void {
  const { metrics } = api
  if (registered.has(metrics)) return
  registered.add(metrics)
  const g = {
    targets: metrics.gauge('tandem_targets', 'Targets by kind and health state', ['kind', 'state']),
    flapping: metrics.gauge('tandem_targets_flapping', 'Targets flapping now'),
    fence: metrics.gauge('tandem_nodes_fence_state', 'Nodes by fence state', ['state']),
    outbox: metrics.gauge('tandem_outbox_notices', 'Outbox notices by status', ['status']),
    outboxAge: metrics.gauge(
      'tandem_outbox_oldest_pending_seconds',
      'Age of the oldest undelivered notice',
    ),
    runs: metrics.gauge('tandem_runs', 'Runs by status', ['status']),
    approvals: metrics.gauge('tandem_approvals_pending', 'Approvals waiting for a person'),
    silences: metrics.gauge('tandem_silences_active', 'Active silences and maintenance windows', [
      'kind',
    ]),
    policies: metrics.gauge('tandem_policy_files', 'Policy files by load state', ['state']),
    up: metrics.gauge('tandem_store_up', '1 when the store answered the scrape'),
    ping: metrics.gauge('tandem_store_ping_seconds', 'Round trip of a trivial store query'),
  }
  metrics.onScrape(async () => {
    for (const gauge of Object.values(g)) gauge.reset()
    try {
      await readGauges(api, g)
      g.up.set({}, 1)
    } catch (error) {
      api.log.warn('[api] metrics: store unreadable', { error: (error as Error).message })
      g.up.set({}, 0)
    }
  })
}

async function readGauges(api: ApiContext, g: Record<string, ReturnType<Metrics['gauge']>>) {
  const { db } = api.store
  const now = api.now()
  const ping = api.shared.dbLatency.startTimer({ op: 'ping' })
  await api.store.client.execute('SELECT 1')
  g.ping?.set({}, ping())
  const [targets, [flapping], fences, notices, [oldest], runRows, [pending], active, policies] =
    await Promise.all([
      db
        .select({ kind: healthStates.kind, state: healthStates.state, n: count() })
        .from(healthStates)
        .groupBy(healthStates.kind, healthStates.state),
      db.select({ n: count() }).from(healthStates).where(eq(healthStates.flapping, true)),
      db
        .select({ state: fenceStates.state, n: count() })
        .from(fenceStates)
        .groupBy(fenceStates.state),
      db.select({ status: outbox.status, n: count() }).from(outbox).groupBy(outbox.status),
      db
        .select({ at: min(outbox.createdAt) })
        .from(outbox)
        .where(eq(outbox.status, 'pending')),
      db.select({ status: runs.status, n: count() }).from(runs).groupBy(runs.status),
      db
        .select({ n: count() })
        .from(approvals)
        .where(and(eq(approvals.status, 'pending'), gt(approvals.expiresAt, now))),
      db
        .select({ kind: silences.kind, n: count() })
        .from(silences)
        .where(and(lte(silences.startsAt, now), gt(silences.endsAt, now)))
        .groupBy(silences.kind),
      db.select().from(policyStates),
    ])
  for (const t of targets) g.targets?.set({ kind: t.kind, state: t.state }, t.n)
  g.flapping?.set({}, flapping?.n ?? 0)
  for (const f of fences) g.fence?.set({ state: f.state }, f.n)
  for (const n of notices) g.outbox?.set({ status: n.status }, n.n)
  g.outboxAge?.set({}, oldest?.at ? Math.max(0, (now - oldest.at) / 1000) : 0)
  for (const r of runRows) g.runs?.set({ status: r.status }, r.n)
  g.approvals?.set({}, pending?.n ?? 0)
  for (const s of active) g.silences?.set({ kind: s.kind }, s.n)
  const byState: Record<string, number> = { loaded: 0, failing: 0, stale: 0 }
  for (const p of policies) byState[policyState(p)] = (byState[policyState(p)] ?? 0) + 1
  for (const [state, n] of Object.entries(byState)) g.policies?.set({ state }, n)
}
