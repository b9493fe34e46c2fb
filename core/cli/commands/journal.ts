// `tandem journal [incident]`: what tandem did, refused and why, newest incidents first.
import { incidentTimeline, recentIncidents } from '../../act/index.ts'
import { TandemError } from '../../errors.ts'
import { DEFAULT_CONFIG_FILE } from '../../inventory/index.ts'
import { openCliStore } from '../act-setup.ts'
import { type Command, parseOptions } from '../command.ts'

export const journalCommand: Command = {
  name: 'journal',
  summary: 'show recent incidents, or one incident with its runs, steps and audit trail',
  usage: 'tandem journal [INCIDENT-ID|KEY] [--limit N] [--json] [--config FILE] [--store URL]',
  async run(args, io) {
    const { values, positionals } = parseOptions(
      args,
      {
        config: { type: 'string', default: DEFAULT_CONFIG_FILE },
        store: { type: 'string' },
        limit: { type: 'string', default: '20' },
        json: { type: 'boolean', default: false },
      },
      true,
    )
    const store = await openCliStore(values.config, values.store)
    try {
      const [wanted] = positionals
      if (!wanted) {
        const incidents = await recentIncidents(store.db, Number(values.limit) || 20)
        if (values.json) io.out(`${JSON.stringify(incidents, null, 2)}\n`)
        else if (incidents.length === 0) io.out('no incidents yet\n')
        else
          for (const i of incidents)
            io.out(
              `${iso(i.openedAt)}  ${i.status.padEnd(8)} ${i.id}  ${i.key}  (${i.runs} run${i.runs === 1 ? '' : 's'})\n`,
            )
        return 0
      }
      const timeline = await incidentTimeline(store.db, wanted)
      if (!timeline) throw new TandemError('NOT_FOUND', `no incident "${wanted}"`)
      if (values.json) {
        io.out(`${JSON.stringify(timeline, null, 2)}\n`)
        return 0
      }
      const { incident } = timeline
      io.out(
        `${incident.id}  ${incident.key}  ${incident.status}  opened ${iso(incident.openedAt)}${incident.resolvedAt ? `  resolved ${iso(incident.resolvedAt)}` : ''}${incident.closedAt ? `  closed ${iso(incident.closedAt)}` : ''}\n`,
      )
      for (const f of timeline.fences)
        io.out(`fence ${f.node}: ${f.state}${f.reason ? ` (${f.reason})` : ''}\n`)
      for (const run of timeline.runs) {
        io.out(
          `\nrun ${run.id}  ${run.policy}  ${run.status}${run.dryRun ? ' (dry run)' : ''}  by ${run.actor}  ${iso(run.startedAt)}\n`,
        )
        for (const step of run.steps) {
          const why = step.blockedBy ? ` [${step.blockedBy}]` : ''
          const detail = step.error ?? (step.result as { summary?: string } | null)?.summary ?? ''
          io.out(`  ${step.status.padEnd(9)} ${step.uses}${why}${detail ? `: ${detail}` : ''}\n`)
          for (const argv of step.commands) io.out(`            $ ${argv.map(quote).join(' ')}\n`)
          for (const a of step.approvals)
            io.out(
              `            approval ${a.id}: ${a.status}${a.decidedBy ? ` by ${a.decidedBy}` : ''}\n`,
            )
        }
      }
      io.out('\naudit:\n')
      for (const a of timeline.audit)
        io.out(
          `  ${iso(a.at)}  ${a.decision.padEnd(9)} ${a.action}${a.guard ? ` [${a.guard}]` : ''}  ${a.actor}${a.reason ? `: ${a.reason}` : ''}\n`,
        )
      return 0
    } finally {
      store.close()
    }
  },
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z')
}

/** Shows an argv element so an operator can tell where it starts and ends. */
function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg)
}
