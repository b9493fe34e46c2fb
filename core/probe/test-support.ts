// Test helpers: check targets with schema defaults, and a plugin ctx whose runner really runs commands.
import { readFileSync } from 'node:fs'
import type { z } from 'zod'
import { Check, Config, createInventory, type Inventory } from '../inventory/index.ts'
import type { CommandRunner, Logger, PluginContext, PluginDefinition } from '../plugin/index.ts'
import { createLocalRunner } from '../plugin-host/index.ts'
import type { PluginContextFactory } from './plugin-probe.ts'
import type { CheckTarget } from './targets.ts'

export type CheckInput = Partial<z.input<typeof Check>>

/** A service check target on node1 of service web at 127.0.0.1 (overrides win). */
export function checkTarget(check: CheckInput, over: Partial<CheckTarget> = {}): CheckTarget {
  const parsed = Check.parse({ name: 'probe', kind: 'tcp', ...check })
  return {
    id: `web/node1/${parsed.name}`,
    scope: 'service',
    check: parsed,
    node: 'node1',
    service: 'web',
    address: '127.0.0.1',
    ...over,
  }
}

/** The engine's own local runner (argv, no shell, process-group kill), as the daemon uses it. */
export const localRunner: CommandRunner = createLocalRunner({ killGraceMs: 200 })

export const quietLog: Logger = { debug() {}, info() {}, warn() {}, error() {} }

/** Builds plugin contexts the way the daemon does: the plugin's parsed config, inventory, runner. */
export function pluginContextFor(
  inventory: Inventory = createInventory(Config.parse({})),
): PluginContextFactory {
  return (plugin: PluginDefinition, run): PluginContext => ({
    config: plugin.config.parse(inventory.config.plugins[plugin.name] ?? {}),
    inventory,
    runner: localRunner,
    log: quietLog,
    signal: run.signal,
    timeoutMs: run.timeoutMs,
    secrets: { resolve: async () => '' },
    dryRun: false,
  })
}

/** Running or sleeping; a zombie (killed, waiting for init to reap it) counts as dead. */
export function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}
