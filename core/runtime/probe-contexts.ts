// The plugin contexts probes run with: the plugin's parsed config block, the shared runner, never a dry run.
import type { Inventory, SecretResolver } from '../inventory/index.ts'
import type { Logger } from '../log.ts'
import type { PluginContext, PluginDefinition } from '../plugin/index.ts'
import { createCommandRunner } from '../plugin-host/index.ts'
import type { PluginContextFactory } from '../probe/index.ts'

/**
 * A context factory for probes over `inventory` (a reloadable one: a reload's new plugin block
 * is parsed at the next probe; an unchanged block is parsed once, not at every probe).
 *
 * @example
 * const probeContext = createProbeContexts({ inventory, log, secrets })
 * const ctx = probeContext(plugin, { signal, timeoutMs: 5_000 })
 */
export function createProbeContexts(parts: {
  inventory: Inventory
  log: Logger
  secrets: SecretResolver
}): PluginContextFactory {
  const { inventory, log, secrets } = parts
  const runner = createCommandRunner({ inventory, log })
  // Keyed by the block itself: a reload that brought a new block for the plugin parses again.
  const parsed = new Map<string, { block: unknown; value: unknown }>()
  return function probeContext(
    plugin: PluginDefinition,
    run: { signal: AbortSignal; timeoutMs: number },
  ): PluginContext {
    const raw = inventory.config.plugins[plugin.name]
    if (parsed.get(plugin.name)?.block !== raw) {
      const { module: _module, ...block } = raw ?? {}
      parsed.set(plugin.name, { block: raw, value: plugin.config.parse(block) })
    }
    return {
      config: parsed.get(plugin.name)?.value,
      inventory,
      runner,
      log,
      secrets,
      dryRun: false,
      ...run,
    }
  }
}
