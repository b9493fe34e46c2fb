// Test runner settings: unit tests beside the code, end-to-end tests in test/.
import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'
import { SlowFirstSequencer } from './test/helpers/slow-first-sequencer.ts'

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default (cores − 1) is ONE worker on a 2-core CI machine. The long files mostly
    // wait on probe intervals and child processes, so two workers keep both cores busy.
    // TANDEM_TEST_WORKERS=1 runs one file at a time (slower; for telling load from a real fault).
    maxWorkers: Number(process.env.TANDEM_TEST_WORKERS) || Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['core/**/*.test.ts', 'plugins/**/*.test.ts'],
          // One worker process runs many unit files, importing core once instead of once per
          // file: that import was most of their time (core + plugins, 78 files: 269 s → 83 s
          // wall on a loaded 2-core machine). They mock nothing and keep no state between files.
          isolate: false,
        },
      },
      {
        extends: true,
        // The end-to-end files set the lab's process.env (PATH, world file), start daemons and
        // VMs: each keeps a fresh process of its own.
        test: { name: 'e2e', include: ['test/**/*.test.ts'] },
      },
    ],
  },
})
