// `tandem check`: validate the config and the policies like `keepalived -t`; exit 0 valid, 1 not.

import { builtinPlugins } from '../../../plugins/index.ts'
import { ConfigError, formatIssue, type SourceIssue } from '../../errors.ts'
import { type Config, createInventory, DEFAULT_CONFIG_FILE } from '../../inventory/index.ts'
import type { PluginDefinition } from '../../plugin/index.ts'
import type { Registry } from '../../plugin-host/index.ts'
import { loadPolicies } from '../../policy/index.ts'
import { loadSite } from '../../runtime/index.ts'
import { type Command, parseOptions } from '../command.ts'
import { DEFAULT_POLICIES_DIR, isDirectory } from '../policy-world.ts'

/** The check command over a set of plugins (tests pass their own; the CLI the built-in ones). */
export function createCheckCommand(plugins: readonly PluginDefinition[] = builtinPlugins): Command {
  return {
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
      const summary: string[] = []
      let config: Config | undefined
      let registry: Registry | undefined
      try {
        const site = await loadSite(values.config, plugins)
        config = site.config
        registry = site.registry
        summary.push(
          `${values.config}: ok (${config.nodes.length} nodes, ${config.services.length} services, ${config.vms.length} vms, ${config.storage.length} volumes, ${config.fencing.devices.length} fence devices)`,
        )
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error
        issues.push(...error.issues)
      }
      const dir =
        values.policies ??
        ((await isDirectory(DEFAULT_POLICIES_DIR)) ? DEFAULT_POLICIES_DIR : undefined)
      if (dir && config && registry) {
        try {
          const policies = await loadPolicies(dir, { registry, inventory: createInventory(config) })
          summary.push(
            `${dir}: ok (${policies.length} ${policies.length === 1 ? 'policy' : 'policies'})`,
          )
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error
          issues.push(...error.issues)
        }
      } else if (dir) summary.push(`${dir}: not checked: the config has errors`)
      if (values.json) io.out(`${JSON.stringify({ ok: issues.length === 0, issues }, null, 2)}\n`)
      else if (issues.length === 0) io.out(`${summary.join('\n')}\n`)
      else {
        const skipped = summary.filter((s) => s.includes('not checked'))
        io.err(
          `${issues.map(formatIssue).join('\n')}\n${skipped.map((s) => `${s}\n`).join('')}${issues.length} problem${issues.length === 1 ? '' : 's'} found\n`,
        )
      }
      return issues.length === 0 ? 0 : 1
    },
  }
}

export const checkCommand: Command = createCheckCommand()
