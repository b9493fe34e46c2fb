// Runs the contract kit over a list of built-in plugins, each from the example site beside its code.
import { existsSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PluginDefinition } from '../../core/plugin/index.ts'
import { type ContractSite, testPluginContract } from './contract.ts'

/** What `<plugin folder>/contract.ts` default-exports: sets up the site the samples refer to. */
export type ContractExample = () => ContractSite | Promise<ContractSite>

/**
 * Types an example site (an identity function, like definePlugin).
 *
 * @example
 * export default defineContractSite(() => ({ inventory: 'nodes: [...]', actions: { ... } }))
 */
export function defineContractSite(example: ContractExample): ContractExample {
  return example
}

/**
 * Registers the contract checks for every plugin of `list`, whose folders are under `dir`
 * (`plugins/` for the built-ins). Returns the names it registered, in order.
 *
 * @example
 * testContractSites(builtinPlugins, new URL('../../plugins/', import.meta.url))
 */
// biome-ignore lint/suspicious/noExplicitAny: each plugin has its own config type
export function testContractSites(list: PluginDefinition<any>[], dir: URL): string[] {
  for (const plugin of list) testPluginContract(plugin, () => contractSiteOf(plugin, dir))
  return list.map((plugin) => plugin.name)
}

/**
 * Loads and sets up one plugin's example site from `<dir>/<name>/contract.ts`; a plugin without
 * one is refused with what to add, so a new built-in cannot skip the kit.
 */
export async function contractSiteOf(plugin: PluginDefinition, dir: URL): Promise<ContractSite> {
  const file = new URL(`${plugin.name}/contract.ts`, dir)
  const shown = relative(process.cwd(), fileURLToPath(file))
  if (!existsSync(file))
    throw new Error(
      `[contract] plugin "${plugin.name}" has no example site: add ${shown} whose default export is defineContractSite(() => ({ inventory, config, actions: { <one sample input per action> }, probes, notifiers })) from test/plugin/contract-sites.ts`,
    )
  const example = ((await import(file.href)) as { default?: unknown }).default
  if (typeof example !== 'function')
    throw new Error(`[contract] ${shown} must default-export defineContractSite(() => ({ ... }))`)
  return (example as ContractExample)()
}
