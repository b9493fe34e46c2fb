#!/usr/bin/env node
// `npm run build` (also run by `npm ci` / `npm install` as `prepare`): compiles core/ and plugins/
// to dist/ and stamps the build with the hash of its sources, so bin/tandem.js never runs it stale.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { STAMP, sourceHash } from './source.js'

const root = fileURLToPath(new URL('../', import.meta.url))
let tsc
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch {
  // An install without devDependencies: tandem runs from its sources through tsx.
  console.error('tandem build: typescript is not installed; tandem will run through tsx')
  process.exit(0)
}
// Hashed before compiling: a source edited during the build makes the stamp not match.
const hash = sourceHash()
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
const migrations = new URL('../core/store/migrations', import.meta.url)
if (existsSync(migrations))
  cpSync(migrations, new URL('../dist/core/store/migrations', import.meta.url), { recursive: true })
writeFileSync(STAMP, `${hash}\n`)
