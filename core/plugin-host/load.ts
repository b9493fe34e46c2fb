// Third-party plugins named in the config (`plugins.<name>.module`): imported and checked at load.
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { TandemError } from '../errors.ts'
import type { PluginDefinition } from '../plugin/index.ts'

/**
 * Imports every plugin module the config names: a path relative to the config file's folder,
 * or a package name. Each must default-export `definePlugin({...})` with the configured name.
 *
 * @example
 * const extra = await loadPluginModules(config.plugins, dirname(configFile))
 * const registry = createRegistry([...builtinPlugins, ...extra])
 */
export async function loadPluginModules(
  plugins: Record<string, { module?: string }>,
  baseDir: string,
): Promise<PluginDefinition[]> {
  const loaded: PluginDefinition[] = []
  for (const [name, entry] of Object.entries(plugins)) {
    if (!entry.module) continue
    const specifier =
      entry.module.startsWith('.') || isAbsolute(entry.module)
        ? pathToFileURL(resolve(baseDir, entry.module)).href
        : entry.module
    let mod: { default?: PluginDefinition }
    try {
      mod = await importModule(specifier)
    } catch (cause) {
      throw new TandemError(
        'PLUGIN_INVALID',
        `[plugin ${name}] cannot load ${entry.module}: ${(cause as Error).message}`,
        { cause },
      )
    }
    if (!mod.default || mod.default.name !== name)
      throw new TandemError(
        'PLUGIN_INVALID',
        `[plugin ${name}] ${entry.module} must default-export definePlugin({ name: '${name}', ... })`,
      )
    loaded.push(mod.default)
  }
  return loaded
}

/**
 * Imports a plugin module. A TypeScript one needs a loader: tandem running through tsx (or
 * vitest) has one; tandem running from its build registers tsx on the first such module.
 */
async function importModule(specifier: string): Promise<{ default?: PluginDefinition }> {
  try {
    return await import(specifier)
  } catch (error) {
    const typeScript = /\.[cm]?tsx?$/.test(specifier)
    if (!typeScript || (error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION')
      throw error
    const { register } = await import('tsx/esm/api')
    register()
    // A fresh URL: the failed import stays cached under the first one.
    return import(`${specifier}${specifier.includes('?') ? '&' : '?'}tsx`)
  }
}
