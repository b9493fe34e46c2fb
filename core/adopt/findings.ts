// The duplicate/conflict report: one line per finding, both source places, and what tandem will do.
import type { Note, Origin } from './draft.ts'
import { where } from './draft.ts'

export type FindingKind =
  | 'checked-twice'
  | 'defined-twice'
  | 'lvs-outside-cluster'
  | 'weights-vs-priorities'
  | 'gfs-unfenced'
  | 'script-duplicates-monitor'
  | 'node-conflict'
  | 'manager-conflict'

export interface Finding {
  kind: FindingKind
  message: string
  /** Every source place involved, first the one tandem follows. */
  sites: Origin[]
  /** What tandem's single definition will be. */
  result: string
}

/** The report as text: findings, then what was not imported, then what was only noted. */
export function formatReport(findings: readonly Finding[], notes: readonly Note[]): string {
  const lines: string[] = []
  lines.push(`duplicates and conflicts: ${findings.length}`)
  for (const f of findings) lines.push(`  ${f.kind}: ${f.message} → ${f.result}`)
  const skipped = notes.filter((n) => n.level === 'skipped')
  lines.push(`not imported: ${skipped.length}`)
  for (const n of skipped) lines.push(`  ${where(n.at)}: ${n.message}`)
  const info = notes.filter((n) => n.level === 'info')
  if (info.length > 0) lines.push(`notes: ${info.length}`)
  for (const n of info) lines.push(`  ${where(n.at)}: ${n.message}`)
  return `${lines.join('\n')}\n`
}
