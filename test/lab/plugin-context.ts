// A PluginContext for lab tests: the engine's command runner (local, or the lab's ssh for nodes
// with an `ssh` block), real secrets from an env map, and a fresh world file.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  Config,
  type ConfigInput,
  createInventory,
  createSecretResolver,
  type Inventory,
} from '../../core/inventory/index.ts'
import type {
  CommandRunner,
  CommandSpec,
  Logger,
  PluginContext,
  PluginDefinition,
} from '../../core/plugin/index.ts'
import { createCommandRunner } from '../../core/plugin-host/index.ts'
import { writeWorld } from './world.mjs'

export const LAB_BIN = resolve(import.meta.dirname, 'bin')
export const LAB_SSH = join(LAB_BIN, 'ssh')

export interface LabContext<C> extends PluginContext<C> {
  /** Every command the plugin ran, in order. */
  ran: CommandSpec[]
  /** Every warning the plugin logged. */
  warnings: string[]
  /** The world file this context's commands see. */
  worldFile: string
}

/**
 * Builds the context a plugin gets from the engine, against a fresh lab world.
 *
 * @example
 * const ctx = labContext(fencePlugin, { inventory, world: { nodes: {...} } })
 */
export function labContext<C>(
  plugin: PluginDefinition<C>,
  options: {
    inventory: ConfigInput
    config?: unknown
    world?: Record<string, unknown>
    /** Share another context's world instead of starting a fresh one. */
    worldFile?: string
    env?: Record<string, string>
    timeoutMs?: number
  },
): LabContext<C> {
  const worldFile =
    options.worldFile ?? join(mkdtempSync(join(tmpdir(), 'tandem-lab-')), 'world.json')
  process.env.TANDEM_LAB_WORLD = worldFile
  if (!options.worldFile) writeWorld({ version: 1, nodes: {}, ...(options.world ?? {}) } as never)
  const inventory = createInventory(Config.parse(options.inventory))
  const ran: CommandSpec[] = []
  const warnings: string[] = []
  const runner = labRunner(inventory, worldFile)
  return {
    config: plugin.config.parse(options.config ?? {}),
    inventory,
    runner: {
      run(spec) {
        ran.push(spec)
        return runner.run(spec)
      },
    },
    log: quietLog(warnings),
    signal: new AbortController().signal,
    timeoutMs: options.timeoutMs ?? 60_000,
    secrets: createSecretResolver({ ...(options.env ?? {}) }),
    dryRun: false,
    ran,
    warnings,
    worldFile,
  }
}

/**
 * The engine's own runner (createCommandRunner): local commands here, nodes with an `ssh` block
 * through the lab's ssh. Each command sees this context's world and the lab's bin first on PATH.
 */
export function labRunner(inventory: Inventory, worldFile: string): CommandRunner {
  const runner = createCommandRunner({ inventory, ssh: LAB_SSH, killGraceMs: 200 })
  const env = {
    PATH: `${LAB_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    TANDEM_LAB_WORLD: worldFile,
  }
  return { run: (spec) => runner.run({ ...spec, env: { ...env, ...spec.env } }) }
}

function quietLog(warnings: string[]): Logger {
  return {
    debug: () => {},
    info: () => {},
    warn: (msg) => void warnings.push(msg),
    error: (msg) => void warnings.push(msg),
  }
}
