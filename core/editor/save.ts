// Saving edited config files like a careful person: only over the version the caller saw, each
// file written to a temp file and renamed over, the previous text kept as `<file>.prev`.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFile, open, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { TandemError } from '../errors.ts'
import { type ConfigSnapshot, openConfig } from './session.ts'

const run = promisify(execFile)

/** The files changed on disk since the caller opened them: the current snapshot travels along. */
export class ConfigConflict extends TandemError {
  readonly current: ConfigSnapshot
  constructor(current: ConfigSnapshot, message: string) {
    super('STORE_CONFLICT', message)
    this.name = 'ConfigConflict'
    this.current = current
  }
}

export interface SaveRequest {
  main: string
  /** The version the changes were made against (from openConfig / a preview). */
  version: string
  /** Path on disk → new text. */
  texts: ReadonlyMap<string, string>
  /** Commit the saved files when their folder is a git work tree. */
  git?: { message: string; author: string }
}

export interface SaveResult {
  version: string
  files: string[]
  git?: { commit: string } | { error: string }
}

const locks = new Map<string, Promise<unknown>>()

/**
 * Writes the changed files if the config on disk is still at `version`; else throws
 * ConfigConflict with what is there now. Saves of one config in this process run one at a time.
 *
 * @example
 * await saveConfig({ main, version: candidate.base.version, texts: candidate.texts })
 */
export function saveConfig(request: SaveRequest): Promise<SaveResult> {
  const before = locks.get(request.main) ?? Promise.resolve()
  const next = before.catch(() => undefined).then(() => saveNow(request))
  locks.set(request.main, next)
  const release = () => {
    if (locks.get(request.main) === next) locks.delete(request.main)
  }
  // Not next.finally(): its copy of a refusal (git, conflict) would be an unhandled rejection,
  // which ends the daemon. The caller handles `next` itself.
  next.then(release, release)
  return next
}

async function saveNow(request: SaveRequest): Promise<SaveResult> {
  const current = await openConfig(request.main)
  if (current.version !== request.version)
    throw new ConfigConflict(
      current,
      '[editor] the config changed on disk since it was opened; nothing was written',
    )
  const paths = [...request.texts.keys()]
  const repo = request.git ? await gitRoot(dirname(request.main)) : undefined
  if (request.git && !repo)
    throw new TandemError(
      'BAD_REQUEST',
      `[editor] ${dirname(request.main)} is not in a git work tree`,
    )
  // Someone's uncommitted edit would be committed under this message: refuse before writing.
  if (repo) await refuseDirty(repo, paths)
  for (const [path, text] of request.texts) await writeAtomically(path, text)
  const saved = await openConfig(request.main)
  const result: SaveResult = { version: saved.version, files: paths }
  // The files are saved either way: a failed commit is reported, not turned into a failed save.
  if (repo && request.git)
    result.git = await commit(repo, paths, request.git).catch((error: Error) => ({
      error: `[editor] git commit failed: ${error.message.split('\n')[0]}`,
    }))
  return result
}

/** Temp file in the same folder, fsync, keep the old text as .prev, rename over, fsync the folder. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  const mode = await stat(path).then(
    (s) => s.mode & 0o777,
    () => 0o644,
  )
  const handle = await open(temp, 'wx', mode)
  try {
    await handle.writeFile(text, 'utf8')
    await handle.sync()
  } catch (error) {
    await handle.close()
    await unlink(temp).catch(() => undefined)
    throw error
  }
  await handle.close()
  await copyFile(path, `${path}.prev`).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
  await rename(temp, path)
  const dir = await open(dirname(path), 'r')
  await dir.sync().finally(() => dir.close())
}

async function gitRoot(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['-C', dir, 'rev-parse', '--show-toplevel'])
    return stdout.trim() || undefined
  } catch {
    return undefined
  }
}

async function refuseDirty(repo: string, paths: string[]): Promise<void> {
  const { stdout } = await run('git', ['-C', repo, 'status', '--porcelain', '--', ...paths])
  if (stdout.trim())
    throw new TandemError(
      'STORE_CONFLICT',
      `[editor] git: uncommitted changes in ${stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        // Porcelain lines are "XY path": the status letters may start with a space.
        .map((line) => line.slice(3))
        .join(', ')}; commit them first, or save without commit`,
    )
}

async function commit(
  repo: string,
  paths: string[],
  git: { message: string; author: string },
): Promise<{ commit: string }> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: git.author,
    GIT_AUTHOR_EMAIL: 'tandem@localhost',
    GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? 'tandem',
    GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? 'tandem@localhost',
  }
  await run('git', ['-C', repo, 'add', '--', ...paths], { env })
  // Paths given: only these files are committed, whatever else is staged.
  await run('git', ['-C', repo, 'commit', '--quiet', '-m', git.message, '--', ...paths], { env })
  const { stdout } = await run('git', ['-C', repo, 'rev-parse', 'HEAD'], { env })
  return { commit: stdout.trim() }
}
