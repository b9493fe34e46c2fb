// Loads tandem.yaml: read, parse safely, validate with zod, check cross-references, all positioned.
import { readFile, stat } from 'node:fs/promises'
import { ConfigError, fileIssue, type SourceIssue } from '../errors.ts'
import { Config } from './schema.ts'
import { crossReferenceIssues, type XrefIssue } from './xref.ts'
import {
  fieldPath,
  MAX_FILE_BYTES,
  parseYaml,
  positionOf,
  tooLarge,
  zodIssues,
} from './yaml-source.ts'

export const DEFAULT_CONFIG_FILE = 'tandem.yaml'

/**
 * Reads and validates a config file. Throws `ConfigError` listing every problem with
 * `file:line:col`; never returns a half-valid config.
 *
 * @example
 * const config = await loadConfig('tandem.yaml')
 */
export async function loadConfig(
  file: string = DEFAULT_CONFIG_FILE,
  options: LoadOptions = {},
): Promise<Config> {
  return parseConfig(file, await readSource(file), options)
}

/**
 * Checks a caller adds on top of the schema and cross-references, e.g. each channel's `with:`
 * against its notifier plugin (the inventory itself never imports plugins). Their issues are
 * positioned in the file like every other problem.
 */
export interface LoadOptions {
  checks?: readonly ((config: Config) => XrefIssue[])[]
}

/** Validates config text already in memory (tests, the API, hot reload). */
export function parseConfig(file: string, text: string, options: LoadOptions = {}): Config {
  const source = parseYaml(file, text)
  if ('issues' in source) throw new ConfigError(source.issues)
  const parsed = Config.safeParse(source.data ?? {}, { reportInput: true })
  if (!parsed.success) throw new ConfigError(zodIssues(source, parsed.error, Config))
  const xref = crossReferenceIssues(parsed.data)
  // Extra checks only run on a config that hangs together, so they may trust its names.
  if (xref.length === 0) for (const check of options.checks ?? []) xref.push(...check(parsed.data))
  if (xref.length > 0) {
    const issues: SourceIssue[] = xref.map((issue) => ({
      file,
      ...positionOf(source, issue.path),
      field: fieldPath(issue.path),
      message: issue.message,
    }))
    throw new ConfigError(issues)
  }
  return parsed.data
}

/** Reads a user file with the size limit applied before the bytes are loaded. */
export async function readSource(file: string): Promise<string> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause)
    throw new ConfigError([fileIssue(file, `cannot read: ${code}`)])
  }
  if (size > MAX_FILE_BYTES) throw new ConfigError([fileIssue(file, tooLarge(size))])
  return readFile(file, 'utf8')
}
