// Loads tandem.yaml: read, parse safely, validate with zod, check cross-references, all positioned.
import { readFile, stat } from 'node:fs/promises'
import { z } from 'zod'
import { ConfigError, fileIssue, type SourceIssue } from '../errors.ts'
import { Config } from './schema.ts'
import { includedFiles, mergeSplit } from './split.ts'
import { crossReferenceIssues, type XrefIssue } from './xref.ts'
import {
  fieldPath,
  MAX_FILE_BYTES,
  parseYaml,
  positionOf,
  tooLarge,
  type YamlSource,
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
  const read = (path: string) => options.texts?.get(path) ?? readSource(path)
  const main = parseYaml(file, await read(file))
  if ('issues' in main) throw new ConfigError(main.issues)
  const files = await includedFiles(main)
  if ('issues' in files) throw new ConfigError(files.issues)
  const parts: YamlSource[] = []
  const issues: SourceIssue[] = []
  for (const part of files) {
    const parsed = parseYaml(part, await read(part))
    if ('issues' in parsed) issues.push(...parsed.issues)
    else parts.push(parsed)
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return validate(main, parts, options)
}

/**
 * Checks a caller adds on top of the schema and cross-references, e.g. each channel's `with:`
 * against its notifier plugin (the inventory itself never imports plugins). Their issues are
 * positioned in the file like every other problem.
 */
export interface LoadOptions {
  checks?: readonly ((config: Config) => XrefIssue[])[]
  /** Texts to validate instead of the files on disk, by path (the editor's unsaved changes). */
  texts?: ReadonlyMap<string, string>
}

/** Validates config text already in memory (tests, the API, hot reload); no includes. */
export function parseConfig(file: string, text: string, options: LoadOptions = {}): Config {
  const source = parseYaml(file, text)
  if ('issues' in source) throw new ConfigError(source.issues)
  if ((source.data as { include?: unknown } | null)?.include !== undefined)
    throw new ConfigError([
      {
        file,
        ...positionOf(source, ['include'], true),
        field: 'include',
        message: 'include: is read only when the config is loaded from its file',
      },
    ])
  return validate(source, [], options)
}

function validate(main: YamlSource, parts: YamlSource[], options: LoadOptions): Config {
  const split = mergeSplit(main, parts)
  if ('issues' in split) throw new ConfigError(split.issues)
  const parsed = Config.safeParse(split.data ?? {}, { reportInput: true })
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue) => {
      const { source, path } = split.locate(issue.path)
      const local = new z.ZodError([{ ...issue, path } as z.core.$ZodIssue])
      return zodIssues(source, local, Config)
    })
    throw new ConfigError(issues)
  }
  const xref = crossReferenceIssues(parsed.data)
  // Extra checks only run on a config that hangs together, so they may trust its names.
  if (xref.length === 0) for (const check of options.checks ?? []) xref.push(...check(parsed.data))
  if (xref.length > 0) {
    const issues: SourceIssue[] = xref.map((issue) => {
      const { source, path } = split.locate(issue.path)
      return {
        file: source.file,
        ...positionOf(source, path),
        field: fieldPath(path),
        message: issue.message,
      }
    })
    throw new ConfigError(issues)
  }
  return parsed.data
}

/**
 * Reads a user file with the size limit applied before the bytes are loaded (1 MB for
 * configs and policies; importers of other tools' files pass their own).
 */
export async function readSource(file: string, maxBytes = MAX_FILE_BYTES): Promise<string> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause)
    throw new ConfigError([fileIssue(file, `cannot read: ${code}`)])
  }
  if (size > maxBytes) throw new ConfigError([fileIssue(file, tooLarge(size, maxBytes))])
  return readFile(file, 'utf8')
}
