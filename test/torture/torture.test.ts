// A short fixed-seed slice of the torture test (npm run torture runs the long one): one daemon, a few steps.
import { expect, it } from 'vitest'
import { runTorture } from './torture.ts'

// UNFINISHED (issue 16): opt-in (TANDEM_TORTURE=1) still. Seed 16 draws a drain/restore, a
// crash of node2 and SIGKILLs of the daemon. Before session 4's fixes it lost guest1 for good;
// now it passed once (10 draws, 84 s wall at load 18) and failed once (8 draws, load 28:
// "cluster service db is stopped on no node" after execDrainRestore(node2), fail(node2),
// kill(0) — suspected: the failover lost to a monitor_blind refusal after the restart, which
// branch `crash` is changing). Over the one-minute target on this shared machine either way.
// docs/torture.md has the figures.
it.skipIf(process.env.TANDEM_TORTURE !== '1')(
  'a few random steps against the real daemon keep every safety invariant (seed 16)',
  async () => {
    const result = await runTorture({
      net: 45,
      instances: 1,
      runs: 1,
      steps: Number(process.env.TORTURE_STEPS ?? 8),
      seed: Number(process.env.TORTURE_SEED ?? 16),
      path: process.env.TORTURE_PATH || undefined,
      shrinkMs: Number(process.env.TORTURE_SHRINK_MS ?? 0),
      quiesceMs: 20_000,
    })
    expect(result.stats.steps).toBeGreaterThan(0)
    expect(result.stats.checks).toBeGreaterThan(result.stats.steps - 1)
    expect(result.failure, result.failure).toBeUndefined()
  },
  240_000,
)
