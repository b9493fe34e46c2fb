// A short fixed-seed slice of the torture test (npm run torture runs the long one): one daemon, a dozen steps.
import { expect, it } from 'vitest'
import { runTorture } from './torture.ts'

it('a dozen random steps against the real daemon keep every safety invariant (seed 16)', async () => {
  const result = await runTorture({
    net: 45,
    instances: 1,
    runs: 1,
    steps: Number(process.env.TORTURE_STEPS ?? 10),
    seed: Number(process.env.TORTURE_SEED ?? 16),
    path: process.env.TORTURE_PATH || undefined,
    shrinkMs: Number(process.env.TORTURE_SHRINK_MS ?? 0),
    quiesceMs: 20_000,
  })
  expect(result.stats.steps).toBeGreaterThan(0)
  expect(result.stats.checks).toBeGreaterThan(result.stats.steps - 1)
  expect(result.failure, result.failure).toBeUndefined()
}, 120_000)
