// `npm run bench`: runs every benchmark script in test/bench/ in turn; each prints one JSON line.
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

const dir = new URL('.', import.meta.url).pathname
const only = process.argv[2]
for (const file of readdirSync(dir).sort()) {
  if (!file.endsWith('.ts') || file === 'run.ts' || file.startsWith('_')) continue
  if (only && !file.startsWith(only)) continue
  execFileSync(process.execPath, ['--import', 'tsx', `${dir}${file}`], { stdio: 'inherit' })
}
