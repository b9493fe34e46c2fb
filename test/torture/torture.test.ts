// A short fixed-seed slice of the torture test (npm run torture runs the long one): one daemon, a few steps.
import { expect, it } from 'vitest'
import { runTorture } from './torture.ts'

// Seed 16 draws a drain/restore of node2, a crash of node2 and a SIGKILL of the daemon: node2
// rejoins while tandem is dead, which once left db stopped on no node (fixed: service.stopped and
// the service-stopped-start policy) and, before that, guest1 on no host. `npm run torture` is the
// long run; docs/torture.md has the figures.
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
