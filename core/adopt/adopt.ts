// `tandem import` as a function: read every source, merge, check the result, render YAML and report.
import { ConfigError, fileIssue } from '../errors.ts'
import { parseConfig } from '../inventory/index.ts'
import { parseCib } from './cib.ts'
import { parseClusterConf } from './cluster-conf.ts'
import type { Fragment, Note, SourceKind } from './draft.ts'
import type { Finding } from './findings.ts'
import { detectKind, readInput } from './input.ts'
import { parseKeepalived } from './keepalived.ts'
import { parseLdirectord } from './ldirectord.ts'
import { mergeFragments } from './merge.ts'
import { parseHosts } from './nodes.ts'
import { parsePiranha } from './piranha.ts'
import { writeYaml } from './write-yaml.ts'

export interface ImportOptions {
  /** /etc/hosts-format file to match cluster node names with LVS addresses. */
  hostsFile?: string
  director?: string
  /** The name the written file will have, for positions in the self-check. */
  outFile?: string
}

export interface ImportResult {
  yaml: string
  findings: Finding[]
  notes: Note[]
  /** What was seen and not imported: `--strict` fails when there is any. */
  skipped: number
}

const KINDS: SourceKind[] = ['keepalived', 'ldirectord', 'piranha', 'cluster-conf', 'cib']

/**
 * Imports `kind:path` or `path` sources into one tandem.yaml text. Throws ConfigError (with
 * file:line) on any input it cannot read; the caller writes nothing then.
 *
 * @example
 * const { yaml, findings } = await importSite(['/etc/keepalived/keepalived.conf', 'cluster.conf'])
 */
export async function importSite(
  sources: readonly string[],
  options: ImportOptions = {},
): Promise<ImportResult> {
  if (sources.length === 0)
    throw new ConfigError([fileIssue('(command line)', 'name at least one file to import')])
  const fragments: Fragment[] = []
  for (const source of sources) fragments.push(await parseSource(source))
  const hosts = options.hostsFile ? parseHosts(await readInput(options.hostsFile)) : undefined
  const adopted = mergeFragments(fragments, {
    ...(hosts ? { hosts } : {}),
    ...(options.director ? { director: options.director } : {}),
  })
  const header = [
    `tandem.yaml imported by \`tandem import\` from ${fragments.map((f) => f.file).join(', ')}.`,
    `Import report: ${adopted.findings.length} duplicates/conflicts, ${adopted.notes.filter((n) => n.level === 'skipped').length} not imported (\`tandem import\` printed them).`,
    'Passwords became secret references (env:…): set them before `tandem run`.',
  ]
  const yaml = writeYaml(adopted.config, adopted.origins, header)
  // What import writes must load: a failure here is tandem's bug, and nothing is written.
  parseConfig(options.outFile ?? 'tandem.yaml', yaml)
  return {
    yaml,
    findings: adopted.findings,
    notes: adopted.notes,
    skipped: adopted.notes.filter((n) => n.level === 'skipped').length,
  }
}

async function parseSource(source: string): Promise<Fragment> {
  const m = /^([a-z-]+):(.+)$/.exec(source)
  const named = m && KINDS.includes(m[1] as SourceKind) ? (m[1] as SourceKind) : undefined
  const file = named ? m![2]! : source
  const text = await readInput(file)
  const kind = named ?? detectKind(file, text)
  switch (kind) {
    case 'keepalived':
      return parseKeepalived(file, text)
    case 'ldirectord':
      return parseLdirectord(file, text)
    case 'piranha':
      return parsePiranha(file, text)
    case 'cluster-conf':
      return parseClusterConf(file, text)
    case 'cib':
      return parseCib(file, text)
  }
}
