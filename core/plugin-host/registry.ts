// The plugin registry: validates plugin definitions at load and resolves `plugin.action` names.
import { TandemError } from '../errors.ts'
import { nearestName } from '../inventory/index.ts'
import type {
  ActionDefinition,
  NotifierDefinition,
  PluginDefinition,
  ProbeDefinition,
} from '../plugin/index.ts'
import { ACTION_SCOPES } from '../plugin/index.ts'

/** The loaded plugins, by name; one per process (built from plugins/index.ts plus config modules). */
export interface Registry {
  readonly plugins: readonly PluginDefinition[]
  plugin(name: string): PluginDefinition | undefined
  /** `lvs.drain` → its definition, or a TandemError naming the nearest valid action. */
  action(uses: string): { plugin: PluginDefinition; name: string; action: ActionDefinition }
  probe(
    kind: string,
  ): { plugin: PluginDefinition; name: string; probe: ProbeDefinition } | undefined
  notifier(type: string): { plugin: PluginDefinition; notifier: NotifierDefinition } | undefined
  /** Every `plugin.action` name, for suggestions and docs. */
  actionNames(): string[]
}

/**
 * Builds a registry, refusing malformed plugins (bad names, duplicates, actions without schemas).
 *
 * @example
 * const registry = createRegistry(builtinPlugins)
 * registry.action('lvs.drain').action.describe(input, ctx)
 */
export function createRegistry(plugins: readonly PluginDefinition[]): Registry {
  const byName = new Map<string, PluginDefinition>()
  for (const plugin of plugins) {
    validatePlugin(plugin)
    if (byName.has(plugin.name)) throw invalid(plugin.name, 'is registered twice')
    byName.set(plugin.name, plugin)
  }
  const actionNames = () =>
    [...byName.values()].flatMap((p) => Object.keys(p.actions ?? {}).map((a) => `${p.name}.${a}`))
  return {
    plugins: [...byName.values()],
    plugin: (name) => byName.get(name),
    action(uses) {
      const [pluginName = '', name = ''] = uses.split('.', 2)
      const plugin = byName.get(pluginName)
      const action = plugin?.actions?.[name]
      if (!plugin || !action) {
        const near = nearestName(uses, actionNames())
        throw new TandemError(
          'PLUGIN_INVALID',
          `unknown action "${uses}"${near ? `; did you mean "${near}"?` : ''}`,
        )
      }
      return { plugin, name, action }
    },
    probe(kind) {
      const [pluginName = '', name = ''] = kind.split('.', 2)
      const plugin = byName.get(pluginName)
      const probe = plugin?.probes?.[name]
      return plugin && probe ? { plugin, name, probe } : undefined
    },
    notifier(type) {
      for (const plugin of byName.values()) {
        const notifier = plugin.notifiers?.[type]
        if (notifier) return { plugin, notifier }
      }
      return undefined
    },
    actionNames,
  }
}

function validatePlugin(plugin: PluginDefinition): void {
  if (!/^[a-z][a-z0-9-]*$/.test(plugin.name ?? ''))
    throw invalid(String(plugin.name), 'needs a lower-case name')
  if (!plugin.config || typeof plugin.config.safeParse !== 'function')
    throw invalid(plugin.name, 'needs a zod `config` schema')
  for (const [name, action] of Object.entries(plugin.actions ?? {})) {
    if (!/^[a-z][a-z0-9_]*$/.test(name))
      throw invalid(plugin.name, `action "${name}" needs a snake_case name`)
    if (typeof action.input?.safeParse !== 'function')
      throw invalid(plugin.name, `action "${name}" needs a zod input`)
    if (typeof action.run !== 'function' || typeof action.describe !== 'function')
      throw invalid(plugin.name, `action "${name}" needs run() and describe()`)
    if (typeof action.idempotent !== 'boolean' || typeof action.destructive !== 'boolean')
      throw invalid(plugin.name, `action "${name}" must declare idempotent and destructive`)
    if (!(ACTION_SCOPES as readonly unknown[]).includes(action.scope))
      throw invalid(
        plugin.name,
        `action "${name}" must declare the scope it needs: scope: ${ACTION_SCOPES.map((s) => `'${s}'`).join(' | ')}`,
      )
  }
}

function invalid(name: string, why: string): TandemError {
  return new TandemError('PLUGIN_INVALID', `[plugin ${name}] ${why}`)
}
