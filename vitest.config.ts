// Test runner settings: unit tests beside the code, end-to-end tests in test/.
import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'
import { SlowFirstSequencer } from './test/slow-first-sequencer.ts'

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'plugins/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default (cores − 1) is ONE worker on a 2-core CI machine. The long files mostly
    // wait on probe intervals and child processes, so two workers keep both cores busy.
    // TANDEM_TEST_WORKERS=1 runs one file at a time (slower; for telling load from a real fault).
    maxWorkers: Number(process.env.TANDEM_TEST_WORKERS) || Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: SlowFirstSequencer },
  },
})
