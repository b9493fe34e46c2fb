// A short fixed-seed slice of the torture test (npm run torture runs the long one): one daemon, a few steps.
import { expect, it } from 'vitest'
import { runTorture } from './torture.ts'

// Seed 16 draws a drain/restore of node2, a crash of node2 and a SIGKILL of the daemon. It once
// left db stopped on no node (fixed: service.stopped and service-stopped-start), then failed one
// run in three with node2's failover unfinished at quiescence. The likely cause, a lone daemon
// losing its own 2 s lease again and again under load (each loss a new token, the pass and its
// runs dropped), is fixed: the lease is re-taken with the same token, what the lapse cut short is
// resumed, the backlog moves in chunks. docs/torture.md has the runs since; `npm run torture` is
// the long run.
it('a few random steps against the real daemon keep every safety invariant (seed 16)', async () => {
  const result = await runTorture({
    net: 45,
    instances: 1,
    runs: 1,
    steps: Number(process.env.TORTURE_STEPS ?? 8),
    seed: Number(process.env.TORTURE_SEED ?? 16),
    path: process.env.TORTURE_PATH || undefined,
    shrinkMs: Number(process.env.TORTURE_SHRINK_MS ?? 0),
    // The wait ends as soon as the site is calm and right; a loaded machine needs the margin.
    quiesceMs: 60_000,
  })
  expect(result.stats.steps).toBeGreaterThan(0)
  expect(result.stats.checks).toBeGreaterThan(result.stats.steps - 1)
  expect(result.failure, result.failure).toBeUndefined()
}, 240_000)
