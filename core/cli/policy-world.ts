// What `check`, `plan` and `simulate` load to work on policies: config, inventory, plugins, policies.
import { stat } from 'node:fs/promises'
import type { Config, Inventory } from '../inventory/index.ts'
import type { PluginDefinition } from '../plugin/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import { type CompiledPolicy, loadPolicies } from '../policy/index.ts'
import { loadSite } from '../runtime/index.ts'

export const DEFAULT_POLICIES_DIR = 'policies'

export interface PolicyWorld {
  config: Config
  inventory: Inventory
  registry: Registry
  policies: CompiledPolicy[]
}

/**
 * Loads the config, the plugin registry and every policy of `dir`; throws the first
 * ConfigError (config problems, or all policy problems at once).
 *
 * @example
 * const world = await loadPolicyWorld({ config: 'tandem.yaml', policies: 'policies' })
 */
export async function loadPolicyWorld(options: {
  config: string
  policies: string
  plugins?: readonly PluginDefinition[]
}): Promise<PolicyWorld> {
  const { config, inventory, registry } = await loadSite(options.config, options.plugins)
  const policies = await loadPolicies(options.policies, { registry, inventory })
  return { config, inventory, registry, policies }
}

/** True when `path` is an existing directory (the default policies dir is optional). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}
