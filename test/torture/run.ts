// `npm run torture`: the long randomized run; prints ONE JSON line (steps, episodes, crashes, checks, violations).
import { runTorture } from './torture.ts'

const env = process.env
const number = (name: string, fallback: number) => Number(env[name] ?? fallback)
const scenarios = (env.TORTURE_SCENARIO ?? 'single,pair').split(',')
const started = Date.now()
const totals = { steps: 0, episodes: 0, crashes: 0, checks: 0, violations: 0 }
const failures: string[] = []
for (const scenario of scenarios) {
  const instances = scenario === 'pair' ? 2 : 1
  const result = await runTorture({
    net: instances === 2 ? 48 : 47,
    instances,
    runs: number('TORTURE_RUNS', 1),
    steps: number('TORTURE_STEPS', 200),
    seed: env.TORTURE_SEED === undefined ? undefined : Number(env.TORTURE_SEED),
    path: env.TORTURE_PATH || undefined,
    shrinkMs: number('TORTURE_SHRINK_MS', 600_000),
    quiesceMs: number('TORTURE_QUIESCE_MS', 120_000),
    skip: env.TORTURE_SKIP?.split(','),
    lenient: env.TORTURE_LENIENT?.split(','),
    log: (line) => process.stderr.write(`${line}\n`),
  })
  for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result.stats[key]
  if (result.failure) failures.push(`[${scenario}] ${result.failure}`)
}
for (const failure of failures) process.stderr.write(`${failure}\n`)
process.stdout.write(
  `${JSON.stringify({ scenarios, ...totals, failed: failures.length, seconds: Math.round((Date.now() - started) / 1000) })}\n`,
)
process.exitCode = failures.length > 0 ? 1 : 0
