// Renders `tandem simulate` for people: the differences in words, then the tables behind them.
import { type SimulationReport, type SimulationSide, span } from '../policy/index.ts'

const MAX_ROWS = 50

/** The human form of a replay report. */
export function renderSimulation(
  report: SimulationReport,
  sources: { candidate: string; baseline?: string; events: string },
): string {
  const out: string[] = []
  const through = sources.baseline
    ? `${sources.candidate} (candidate) and ${sources.baseline} (baseline)`
    : `${sources.candidate}`
  out.push(
    `replayed ${report.events} events from ${sources.events}, ${when(report.from)} to ${when(report.to)} (${span(Math.max(0, report.to - report.from))}), through ${through}`,
    '',
  )
  if (report.baseline) {
    out.push('differences')
    if (report.differences.length === 0) out.push('  none: both would have done the same')
    for (const d of report.differences) out.push(`  ${d.sentence}`)
    out.push('')
  }
  out.push(
    ...table(['', ...(report.baseline ? ['baseline'] : []), 'candidate'], summaryRows(report)),
    '',
  )
  if (report.baseline && report.changedEvents.length > 0) {
    out.push(`events decided differently (${report.changedEvents.length})`)
    const rows = report.changedEvents
      .slice(0, MAX_ROWS)
      .map((c) => [when(c.event.at), `${c.event.type} ${c.event.subject}`, c.baseline, c.candidate])
    out.push(...indent(table(['WHEN', 'EVENT', 'BASELINE', 'CANDIDATE'], rows)))
    if (report.changedEvents.length > MAX_ROWS)
      out.push(`  … ${report.changedEvents.length - MAX_ROWS} more (--json has all)`)
    out.push('')
  }
  out.push(...runsSection('candidate', report.candidate))
  for (const e of report.candidate.conditionErrors.slice(0, MAX_ROWS))
    out.push(`warning: ${when(e.at)} ${e.policy}: ${e.reason}`)
  return `${out.join('\n')}\n`
}

function summaryRows(report: SimulationReport): string[][] {
  const sides = [report.baseline, report.candidate].filter(
    (s): s is SimulationSide => s !== undefined,
  )
  const count = (f: (s: SimulationSide) => number) => sides.map((s) => String(f(s)))
  const blockedBy = (s: SimulationSide) => {
    const guards = new Map<string, number>()
    for (const r of s.runs)
      for (const g of r.blockedBy)
        if (r.outcome === 'blocked') guards.set(g.guard, (guards.get(g.guard) ?? 0) + 1)
    const detail = [...guards].map(([g, n]) => `${g} ${n}`).join(', ')
    return `${s.runs.filter((r) => r.outcome === 'blocked').length}${detail ? ` (${detail})` : ''}`
  }
  return [
    ['policy runs', ...count((s) => s.runs.length)],
    ['  would act', ...count((s) => s.runs.filter((r) => r.outcome === 'run').length)],
    ['  blocked by guards', ...sides.map(blockedBy)],
    [
      '  deferred by cooldown',
      ...count((s) => s.runs.filter((r) => r.outcome === 'deferred').length),
    ],
    [
      '  waiting for approval',
      ...count((s) => s.runs.filter((r) => r.outcome === 'approval').length),
    ],
    [
      'actions',
      ...count((s) =>
        s.runs.filter((r) => r.outcome === 'run').reduce((n, r) => n + r.actions.length, 0),
      ),
    ],
    [
      'steps that could not be planned',
      ...count((s) => s.runs.reduce((n, r) => n + r.errors.length, 0)),
    ],
    ['conditions that failed', ...count((s) => s.conditionErrors.length)],
  ]
}

function runsSection(name: string, side: SimulationSide): string[] {
  if (side.runs.length === 0) return [`${name} runs: none`, '']
  const rows = side.runs
    .slice(0, MAX_ROWS)
    .map((r) => [
      when(r.at),
      r.policy,
      r.trigger,
      r.outcome === 'blocked'
        ? `blocked: ${r.blockedBy.map((g) => g.guard).join(', ')}`
        : r.outcome === 'deferred'
          ? `deferred to ${when(r.deferredUntil ?? 0)}: cooldown`
          : r.outcome === 'approval'
            ? 'approval'
            : 'acts',
      [...r.actions.map((a) => a.label), ...r.errors.map((e) => `ERROR ${e}`)].join('; ') || '-',
    ])
  const lines = [
    `${name} runs (${side.runs.length})`,
    ...indent(table(['WHEN', 'POLICY', 'TRIGGER', 'OUTCOME', 'ACTIONS'], rows)),
  ]
  if (side.runs.length > MAX_ROWS)
    lines.push(`  … ${side.runs.length - MAX_ROWS} more (--json has all)`)
  return [...lines, '']
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd()
  return [line(header), ...rows.map(line)]
}

function indent(lines: string[]): string[] {
  return lines.map((l) => `  ${l}`)
}

function when(at: number): string {
  return new Date(at)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
}
