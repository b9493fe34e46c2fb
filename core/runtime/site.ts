// A site as every entry point loads it: the config file, its inventory and the plugin registry.
import { dirname } from 'node:path'
import { builtinPlugins } from '../../plugins/index.ts'
import { type Config, createInventory, type Inventory, loadConfig } from '../inventory/index.ts'
import { checkChannels } from '../notify/index.ts'
import type { PluginDefinition } from '../plugin/index.ts'
import { createRegistry, loadPluginModules, type Registry } from '../plugin-host/index.ts'

export interface Site {
  configFile: string
  config: Config
  inventory: Inventory
  registry: Registry
}

/**
 * Loads and checks the config, then builds the registry from the built-in plugins (or the given
 * ones, in tests) plus the third-party modules the config names.
 *
 * @example
 * const { inventory, registry } = await loadSite('tandem.yaml')
 */
export async function loadSite(
  configFile: string,
  plugins?: readonly PluginDefinition[],
): Promise<Site> {
  const first = await loadConfig(configFile)
  const registry = await registryFor(first, configFile, plugins)
  // Only now are the notifier plugins known: each channel's `with:` is checked against its
  // plugin, with errors positioned in the file like every other config error.
  const config = await loadConfig(configFile, { checks: [(c) => checkChannels(c, registry)] })
  return { configFile, config, inventory: createInventory(config), registry }
}

/** The built-in plugins (or the given ones) plus the modules the config names. */
export async function registryFor(
  config: Config,
  configFile: string,
  plugins: readonly PluginDefinition[] = builtinPlugins,
): Promise<Registry> {
  return createRegistry([
    ...plugins,
    ...(await loadPluginModules(config.plugins, dirname(configFile))),
  ])
}
