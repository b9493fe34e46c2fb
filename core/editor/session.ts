// The config as the editor sees it: its files and their version; a change set turned into new
// texts, validated by the same loader as `tandem check`, with the diff of every changed file.
import { createHash } from 'node:crypto'
import { dirname, isAbsolute, join, relative } from 'node:path'
import type { Document } from 'yaml'
import { ConfigError, type SourceIssue } from '../errors.ts'
import {
  type Config,
  includedFiles,
  type LoadOptions,
  loadConfig,
  parseYaml,
  readSource,
} from '../inventory/index.ts'
import { applyChange, type ConfigChange, type EditableFiles } from './changes.ts'
import { unifiedDiff } from './diff.ts'

/** One file of the config: its path as shown (relative to the main file's folder) and text. */
export interface ConfigFile {
  path: string
  text: string
}

/** The config on disk: the main file first, then its includes, and a version over all of them. */
export interface ConfigSnapshot {
  main: string
  /** Absolute (or as given) paths, main first. */
  paths: string[]
  files: ConfigFile[]
  version: string
}

/** What a change set would make of the config. */
export interface Candidate {
  base: ConfigSnapshot
  /** Changed files only: path as on disk → new text. */
  texts: Map<string, string>
  diff: string
  /** The validated config, or every problem the loader found. */
  result: { config: Config } | { issues: SourceIssue[] }
}

/**
 * Reads the config and its included files as they are on disk now.
 *
 * @example
 * const snapshot = await openConfig('/etc/tandem/tandem.yaml')
 */
export async function openConfig(main: string): Promise<ConfigSnapshot> {
  const mainText = await readSource(main)
  const paths = [main]
  const parsed = parseYaml(main, mainText)
  // A main file that does not parse is still opened: the raw view is how it gets fixed.
  if (!('issues' in parsed)) {
    const included = await includedFiles(parsed)
    if (!('issues' in included)) paths.push(...included)
  }
  const texts = [mainText]
  for (const path of paths.slice(1)) texts.push(await readSource(path))
  const files = paths.map((path, i) => ({ path: shown(main, path), text: texts[i] as string }))
  return { main, paths, files, version: versionOf(files) }
}

/**
 * Applies changes to a snapshot's documents and validates the result with the loader's schema,
 * cross-references and the given checks. Invalid changes give `issues`, never a throw.
 */
export async function buildCandidate(
  base: ConfigSnapshot,
  changes: readonly ConfigChange[],
  options: LoadOptions = {},
): Promise<Candidate> {
  const files: EditableFiles = {
    main: base.main,
    paths: new Set(base.paths),
    docs: new Map(),
    replaced: new Map(),
  }
  const byShown = new Map(base.files.map((f, i) => [f.path, base.paths[i] as string]))
  for (const [i, change] of changes.entries()) {
    const field = `changes[${i}]`
    if (change.op === 'replace') {
      const path = change.file === undefined ? base.main : byShown.get(change.file)
      applyChange(files, { ...change, file: path ?? change.file }, field)
      continue
    }
    if (files.docs.size === 0) {
      const issues = openDocs(base, files)
      if (issues.length > 0) return { base, texts: new Map(), diff: '', result: { issues } }
    }
    applyChange(files, change, field)
  }
  const texts = new Map<string, string>()
  const diffs: string[] = []
  for (const [i, path] of base.paths.entries()) {
    const before = base.files[i]?.text ?? ''
    const doc = files.docs.get(path)
    const after = files.replaced.get(path) ?? (doc ? doc.toString({ lineWidth: 0 }) : before)
    if (after === before) continue
    texts.set(path, after)
    diffs.push(unifiedDiff(base.files[i]?.path ?? path, before, after))
  }
  return { base, texts, diff: diffs.join(''), result: await validate(base.main, texts, options) }
}

/** sha256 over every file's path and text: any change on disk changes it. */
export function versionOf(files: readonly ConfigFile[]): string {
  const hash = createHash('sha256')
  for (const file of files) hash.update(`${file.path}\0${file.text}\0`)
  return hash.digest('hex').slice(0, 32)
}

function openDocs(base: ConfigSnapshot, files: EditableFiles): SourceIssue[] {
  const issues: SourceIssue[] = []
  for (const [i, path] of base.paths.entries()) {
    const parsed = parseYaml(path, base.files[i]?.text ?? '')
    if ('issues' in parsed) issues.push(...parsed.issues)
    else files.docs.set(path, parsed.doc as Document.Parsed)
  }
  return issues
}

async function validate(
  main: string,
  texts: Map<string, string>,
  options: LoadOptions,
): Promise<Candidate['result']> {
  try {
    return { config: await loadConfig(main, { ...options, texts }) }
  } catch (error) {
    if (error instanceof ConfigError) return { issues: error.issues }
    throw error
  }
}

function shown(main: string, path: string): string {
  const dir = dirname(main)
  const rel = relative(dir, path)
  return rel.startsWith('..') || isAbsolute(rel) ? path : join(rel)
}
