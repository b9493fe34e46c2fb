// `tandem exec plugin.action key=value ...`: one action by hand through the journal, guards and audit.
import type { RunReport } from '../../act/index.ts'
import { TandemError } from '../../errors.ts'
import { DEFAULT_CONFIG_FILE, parseDuration } from '../../inventory/index.ts'
import { cliExecutor, parseAssignments } from '../act-setup.ts'
import { type Command, parseOptions } from '../command.ts'

export const execCommand: Command = {
  name: 'exec',
  summary: 'run one plugin action by hand, through the same journal, guards and audit',
  usage:
    'tandem exec <plugin>.<action> key=value ... [--dry-run] [--json] [--incident ID] [--reason TEXT] [--timeout 2m] [--config FILE] [--store URL]',
  async run(args, io) {
    const { values, positionals } = parseOptions(
      args,
      {
        config: { type: 'string', default: DEFAULT_CONFIG_FILE },
        store: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        incident: { type: 'string' },
        reason: { type: 'string' },
        timeout: { type: 'string' },
      },
      true,
    )
    const [uses, ...assignments] = positionals
    if (!uses?.includes('.'))
      throw new TandemError(
        'BAD_REQUEST',
        `name an action as <plugin>.<action>\nusage: ${this.usage}`,
      )
    let input: Record<string, unknown>
    try {
      input = parseAssignments(assignments)
    } catch (error) {
      throw new TandemError('BAD_REQUEST', (error as Error).message)
    }
    const { executor, store } = await cliExecutor(values.config, values.store)
    try {
      const report = await executor.runManual(uses, input, {
        dryRun: values['dry-run'],
        incidentId: values.incident,
        reason: values.reason,
        timeoutMs: values.timeout ? parseDuration(values.timeout) : undefined,
        actor: `cli:${process.env.USER ?? 'operator'}`,
      })
      io.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : render(report))
      return exitCode(report)
    } finally {
      store.close()
    }
  },
}

function render(report: RunReport): string {
  const lines = report.steps.map((s) => {
    const why = s.blockedBy && s.blockedBy !== 'dry_run' ? ` [${s.blockedBy}]` : ''
    return `${s.status.padEnd(9)} ${s.uses}${why}: ${s.detail}`
  })
  return `${lines.join('\n')}\nrun ${report.runId} in incident ${report.incidentId}: ${report.status}${report.dryRun ? ' (dry run)' : ''}\n`
}

/**
 * 0 done (or described), 1 failed, 3 refused or waiting, 4 not run because it already holds
 * (read back from the world): scripts can tell them apart, and only 0 means "it ran and worked".
 */
function exitCode(report: RunReport): number {
  if (report.status === 'succeeded') return 0
  if (report.status === 'failed') return 1
  if (report.status === 'in_effect') return 4
  return 3
}
