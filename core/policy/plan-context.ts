// The PluginContext `describe` gets while planning: parsed plugin config, a read-only runner, no secrets.
import { TandemError } from '../errors.ts'
import type { Config, Inventory } from '../inventory/index.ts'
import type { CommandRunner, Logger, PluginContext } from '../plugin/index.ts'
import type { Registry } from '../plugin-host/index.ts'

export interface PlanContextOptions {
  registry: Registry
  config: Config
  inventory: Inventory
  /** Wrap it with createReadOnlyRunner when the plan must not change anything. */
  runner: CommandRunner
  log: Logger
  timeoutMs?: number
}

/**
 * One context per plugin, its config block parsed by the plugin's own schema. `dryRun` is true
 * and secrets are refused: `describe` names stdin keys, it never needs their values.
 *
 * @example
 * const context = createPlanContexts({ registry, config, inventory, runner, log })
 * await action.describe(input, context('lvs'))
 */
export function createPlanContexts(options: PlanContextOptions): (plugin: string) => PluginContext {
  const contexts = new Map<string, PluginContext>()
  return (name) => {
    let context = contexts.get(name)
    if (context) return context
    const plugin = options.registry.plugin(name)
    if (!plugin) throw new TandemError('PLUGIN_INVALID', `[plan] no plugin named "${name}"`)
    const { module: _module, ...block } = options.config.plugins[name] ?? {}
    const parsed = plugin.config.safeParse(block)
    if (!parsed.success)
      throw new TandemError(
        'CONFIG_INVALID',
        `[plan] plugins.${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(block)'}: ${i.message}`).join('; ')}`,
      )
    context = {
      config: parsed.data,
      inventory: options.inventory,
      runner: options.runner,
      log: options.log,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      timeoutMs: options.timeoutMs ?? 30_000,
      secrets: {
        resolve: async () => {
          throw new TandemError(
            'SECRET_UNRESOLVED',
            `[plan] ${name}: describe does not get secrets`,
          )
        },
      },
      dryRun: true,
    }
    contexts.set(name, context)
    return context
  }
}
