// `tandem check`: validate the config (and policies) like `keepalived -t`; exit 0 valid, 1 not.
import { ConfigError, formatIssue, type SourceIssue } from '../../errors.ts'
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../inventory/index.ts'
import { type Command, parseOptions } from '../command.ts'

export const checkCommand: Command = {
  name: 'check',
  summary: 'validate the config file and policies; exit 0 when valid, 1 when not',
  usage: 'tandem check [--config FILE] [--policies DIR] [--json]',
  async run(args, io) {
    const { values } = parseOptions(args, {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      policies: { type: 'string' },
      json: { type: 'boolean', default: false },
    })
    const issues: SourceIssue[] = []
    let summary = ''
    try {
      const config = await loadConfig(values.config)
      summary = `${values.config}: ok (${config.nodes.length} nodes, ${config.services.length} services, ${config.vms.length} vms, ${config.storage.length} volumes, ${config.fencing.devices.length} fence devices)`
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      issues.push(...error.issues)
    }
    if (values.json) io.out(`${JSON.stringify({ ok: issues.length === 0, issues }, null, 2)}\n`)
    else if (issues.length === 0) io.out(`${summary}\n`)
    else
      io.err(
        `${issues.map(formatIssue).join('\n')}\n${issues.length} problem${issues.length === 1 ? '' : 's'} found\n`,
      )
    return issues.length === 0 ? 0 : 1
  },
}
