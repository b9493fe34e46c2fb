// Reads a policies directory: every *.yaml compiled, unchanged files kept, broken edits rejected.
import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError, type SourceIssue } from '../errors.ts'
import { readSource } from '../inventory/index.ts'
import { type CompiledPolicy, compilePolicy, type PolicyDeps } from './compile.ts'

/** What is known about one policy file: its active (last good) version and its last error. */
export interface FileState {
  file: string
  /** Hash of the active version. */
  hash?: string
  policy?: CompiledPolicy
  loadedAt?: number
  /** The rejected text's hash and problems, while the file on disk is broken. */
  error?: { hash: string; issues: SourceIssue[]; message: string; at: number }
}

/** A file whose current text was refused; `kept` tells whether a last good version stays active. */
export interface Rejection {
  file: string
  hash: string
  issues: SourceIssue[]
  message: string
  kept: boolean
  /** False when the same broken text was already reported by an earlier reload. */
  fresh: boolean
}

/**
 * Re-reads `dir` against the previous states. A file whose text did not change keeps its compiled
 * policy (unless `recompile`: the inventory or plugins changed); a broken file keeps its last
 * good version; a deleted file's policy is gone. Policy names must be unique across files.
 *
 * @example
 * const { states, rejected } = await scanDirectory('policies', deps, new Map(), Date.now())
 */
export async function scanDirectory(
  dir: string,
  deps: PolicyDeps,
  previous: ReadonlyMap<string, FileState>,
  now: number,
  recompile = false,
): Promise<{ states: Map<string, FileState>; rejected: Rejection[] }> {
  const states = new Map<string, FileState>()
  const rejected: Rejection[] = []
  const names = new Map<string, string>()
  for (const read of await readAll(await policyFiles(dir))) {
    const { file } = read
    const before = previous.get(file)
    const state: FileState = { ...before, file }
    if ('issues' in read) {
      reject(state, rejected, 'unreadable', read.issues, now, before)
      states.set(file, state)
      continue
    }
    const { text } = read
    const hash = createHash('sha256').update(text).digest('hex')
    if (recompile || hash !== before?.hash || !before?.policy) {
      try {
        const policy = compilePolicy(file, text, deps)
        Object.assign(state, { hash, policy, loadedAt: now, error: undefined })
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error
        reject(state, rejected, hash, error.issues, now, before)
      }
    } else if (before.error && before.error.hash !== hash) state.error = undefined
    const name = state.policy?.name
    const owner = name === undefined ? undefined : names.get(name)
    if (name !== undefined && owner !== undefined) {
      const issue = {
        file,
        line: 1,
        col: 1,
        field: 'name',
        message: `policy "${name}" is already defined in ${owner}`,
      }
      state.policy = undefined
      state.hash = undefined
      reject(state, rejected, hash, [issue], now, before)
    } else if (name !== undefined) names.set(name, file)
    states.set(file, state)
  }
  return { states, rejected }
}

/**
 * Loads every policy of a directory or throws one `ConfigError` listing all problems of all
 * files: what `tandem check`, `plan` and `simulate` use.
 *
 * @example
 * const policies = await loadPolicies('policies', { registry, inventory })
 */
export async function loadPolicies(dir: string, deps: PolicyDeps): Promise<CompiledPolicy[]> {
  const { states, rejected } = await scanDirectory(dir, deps, new Map(), Date.now())
  if (rejected.length > 0)
    throw new ConfigError(
      rejected.flatMap((r) => r.issues),
      'POLICY_INVALID',
    )
  return [...states.values()].flatMap((s) => (s.policy ? [s.policy] : []))
}

/** The `*.yaml` / `*.yml` files of a directory, sorted (load order is name order). */
export async function policyFiles(dir: string): Promise<string[]> {
  let entries: string[]
  try {
    entries = await readdir(dir)
  } catch (cause) {
    throw new ConfigError([unreadable(dir, cause)], 'POLICY_INVALID')
  }
  return entries
    .filter((name) => /\.ya?ml$/.test(name) && !name.startsWith('.'))
    .sort()
    .map((name) => join(dir, name))
}

const READ_CONCURRENCY = 32

/** Reads the files a few dozen at a time: a thousand sequential reads are mostly waiting. */
async function readAll(
  files: string[],
): Promise<({ file: string; text: string } | { file: string; issues: SourceIssue[] })[]> {
  const out: ({ file: string; text: string } | { file: string; issues: SourceIssue[] })[] = []
  for (let i = 0; i < files.length; i += READ_CONCURRENCY) {
    const batch = files.slice(i, i + READ_CONCURRENCY).map(async (file) => {
      try {
        return { file, text: await readSource(file) }
      } catch (error) {
        return {
          file,
          issues: error instanceof ConfigError ? error.issues : [unreadable(file, error)],
        }
      }
    })
    out.push(...(await Promise.all(batch)))
  }
  return out
}

function reject(
  state: FileState,
  rejected: Rejection[],
  hash: string,
  issues: SourceIssue[],
  now: number,
  before: FileState | undefined,
): void {
  const message = new ConfigError(issues, 'POLICY_INVALID').message
  const fresh = before?.error?.hash !== hash
  state.error = { hash, issues, message, at: fresh ? now : (before?.error?.at ?? now) }
  rejected.push({
    file: state.file,
    hash,
    issues,
    message,
    kept: state.policy !== undefined,
    fresh,
  })
}

function unreadable(file: string, cause: unknown): SourceIssue {
  const code = (cause as NodeJS.ErrnoException).code ?? String(cause)
  return { file, line: 1, col: 1, field: '', message: `cannot read: ${code}` }
}
