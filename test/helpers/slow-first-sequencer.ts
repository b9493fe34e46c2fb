// Test file order for `vitest run`: the long scenario files start first, so no worker is left alone with one at the end.
import { relative } from 'node:path'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Files that take tens of seconds each (a daemon and a failover, several daemon processes, a
 * qemu VM, hundreds of simulator processes). A fresh CI checkout has no timing cache, and
 * vitest would then start the largest files first, which puts these short files last.
 */
const SLOW = [
  /^test\/e2e\//,
  /^test\/scale\//,
  /^test\/torture\//,
  /^test\/lvs\/(kernel|simulator)\.test\.ts$/,
  /^test\/cli\/check\.test\.ts$/,
  /^test\/act\/crash\.test\.ts$/,
  // The contract kit over every built-in (~40 s): one file, so it must not start last.
  /^test\/plugin\/contract-builtins\.test\.ts$/,
]

/**
 * vitest's own order (timings of the last run when it has them, else larger files first), with
 * the SLOW files moved to the front in that order.
 *
 * @example
 * defineConfig({ test: { sequence: { sequencer: SlowFirstSequencer } } })
 */
export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const slow = (spec: TestSpecification) =>
      SLOW.some((pattern) => pattern.test(relative(this.ctx.config.root, spec.moduleId)))
    return [...sorted.filter(slow), ...sorted.filter((spec) => !slow(spec))]
  }
}
