// How tandem's code is loaded: the build in dist/ when it was made from exactly these sources,
// else the TypeScript sources through tsx. Stale JavaScript is never run.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
/** Everything the build is made from; tests are left out (they are never built). */
const SOURCES = ['core', 'plugins', 'package.json', 'tsconfig.json', 'tsconfig.build.json']
/** Written by bin/build.js: the hash of the sources the build in dist/ was made from. */
export const STAMP = join(ROOT, 'dist', '.source-hash')

/**
 * A hash of every source file (path and content): what decides whether dist/ is current.
 * About 10 ms for the whole tree.
 */
export function sourceHash() {
  const hash = createHash('sha256')
  for (const file of SOURCES.flatMap((entry) => files(join(ROOT, entry)))) {
    hash.update(`${relative(ROOT, file)}\0`)
    hash.update(readFileSync(file))
    hash.update('\0')
  }
  return hash.digest('hex')
}

/** True when dist/ holds a build of exactly the current sources. */
export function buildIsCurrent() {
  try {
    return readFileSync(STAMP, 'utf8').trim() === sourceHash()
  } catch {
    return false
  }
}

/** @type {'dist' | 'tsx' | undefined} */
let mode

/**
 * Imports a module of tandem by its source path (`core/cli/index.ts`): from dist/ when the
 * build is current, else the source through tsx. The choice is made once per process;
 * `{ sources: true }` on the first call forces tsx (code that reaches into test/).
 *
 * @example
 * const { main } = await loadModule('core/cli/index.ts')
 * @param {string} path
 * @param {{ sources?: boolean }} [options]
 * @returns {Promise<any>}
 */
export async function loadModule(path, options = {}) {
  if (!mode) {
    mode = !options.sources && buildIsCurrent() ? 'dist' : 'tsx'
    if (mode === 'tsx') (await import('tsx/esm/api')).register()
  }
  const file = mode === 'dist' ? `dist/${path.replace(/\.tsx?$/, '.js')}` : path
  return import(new URL(`../${file}`, import.meta.url).href)
}

/** How modules are loaded in this process: 'dist', 'tsx', or undefined before the first load. */
export function loadedFrom() {
  return mode
}

/** @param {string} path @returns {string[]} */
function files(path) {
  let entries
  try {
    entries = readdirSync(path, { withFileTypes: true })
  } catch (error) {
    const code = /** @type {NodeJS.ErrnoException} */ (error).code
    if (code === 'ENOTDIR') return [path]
    if (code === 'ENOENT') return []
    throw error
  }
  return entries
    .filter((e) => !e.name.endsWith('.test.ts'))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => files(join(path, e.name)))
}
