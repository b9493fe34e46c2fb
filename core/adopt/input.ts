// Reading what an administrator hands to `tandem import`: size-capped, and errors positioned.
import { ConfigError, fileIssue, type SourceIssue } from '../errors.ts'
import { readSource } from '../inventory/index.ts'
import type { Origin, SourceKind } from './draft.ts'

/** Inputs larger than this are refused before they are read: no real config is that big. */
export const MAX_IMPORT_BYTES = 8 * 1024 * 1024

/** An error in an input at a line: thrown, so nothing gets written. */
export function inputError(at: Origin, message: string): ConfigError {
  return new ConfigError([issueAt(at, message)])
}

export function issueAt(at: Origin, message: string): SourceIssue {
  return { file: at.file, line: at.line, col: 1, field: '', message }
}

/** Reads one input file, refusing it whole when it is over the cap or unreadable. */
export async function readInput(file: string): Promise<string> {
  const text = await readSource(file, MAX_IMPORT_BYTES)
  if (text.includes('\u0000'))
    throw new ConfigError([fileIssue(file, 'binary file (NUL bytes): not a configuration')])
  return text
}

/**
 * Which tool wrote a file, from its content: XML roots for the cluster managers, the
 * first directive for the LVS tools. `kind:path` on the command line overrides this.
 */
export function detectKind(file: string, text: string): SourceKind {
  const head = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?xml[^>]*\?>/, '')
  const root = /^\s*(?:<!DOCTYPE[^>]*>\s*)?<([A-Za-z_][\w.-]*)/.exec(head)?.[1]
  if (root === 'cluster') return 'cluster-conf'
  if (root === 'cib') return 'cib'
  if (/^\s*<!DOCTYPE\s+cluster\b/.test(head)) return 'cluster-conf'
  if (/^\s*<!DOCTYPE\s+cib\b/.test(head)) return 'cib'
  for (const raw of text.split('\n')) {
    const line = raw
      .replace(/[#!].*$/, '')
      .replace(/^@\S+\s+/, '')
      .trim()
    if (!line) continue
    if (
      /^(virtual6?|real6?|checktimeout|checkinterval|autoreload|quiescent|logfile)\s*=/.test(line)
    )
      return 'ldirectord'
    if (/^(serial_no|primary|service|backup|heartbeat|network|nat_router)\s*=/.test(line))
      return 'piranha'
    if (
      /^(global_defs|virtual_server|virtual_server_group|vrrp_\w+|include|static_\w+|net_namespace)\b/.test(
        line,
      )
    )
      return 'keepalived'
    break
  }
  throw new ConfigError([
    fileIssue(
      file,
      'cannot tell which tool wrote this file; name it: keepalived:FILE, ldirectord:FILE, piranha:FILE, cluster-conf:FILE or cib:FILE',
    ),
  ])
}
