import { runTorture } from './torture.ts'

const t0 = Date.now()
const r = await runTorture({
  net: 45,
  instances: 1,
  runs: 1,
  steps: Number(process.env.S ?? 10),
  seed: 16,
  shrinkMs: 0,
  quiesceMs: 20_000,
  log: (l) => process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} ${l}\n`),
})
console.log(JSON.stringify(r.stats), r.failure ? 'FAILED' : 'ok', (Date.now() - t0) / 1000)
