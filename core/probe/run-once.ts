// Runs a set of checks once, under a concurrency cap: the serverless tick and `tandem` commands.
import type { Prober } from './prober.ts'
import type { CheckResult } from './scheduler.ts'
import type { CheckTarget } from './targets.ts'

/**
 * Runs every target once, at most `maxConcurrency` at a time, and returns the results in
 * target order. Never throws (each probe result is typed); takes as long as the slowest
 * check's timeout at most per wave.
 *
 * @example
 * const results = await runChecksOnce(targets, prober, 64)
 * const { events, rows } = engine.observe(results)
 */
export async function runChecksOnce(
  targets: readonly CheckTarget[],
  prober: Pick<Prober, 'run'>,
  maxConcurrency: number,
): Promise<CheckResult[]> {
  const results: CheckResult[] = new Array(targets.length)
  let next = 0
  const worker = async () => {
    while (next < targets.length) {
      const i = next++
      const target = targets[i]!
      const result = await prober.run(target)
      results[i] = { target, result, at: Date.now() }
    }
  }
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(maxConcurrency, targets.length)) }, worker),
  )
  return results
}
