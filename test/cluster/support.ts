// Test support for the cluster plugins: the engine's runner with lab nodes, plugin contexts, lab worlds.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInventory, parseConfig } from '../../core/inventory/index.ts'
import type {
  ActionDefinition,
  CommandRunner,
  CommandSpec,
  Logger,
  PluginContext,
  PluginDefinition,
  PluginError,
} from '../../core/plugin/index.ts'
import { createLocalRunner } from '../../core/plugin-host/index.ts'
import { type RgService, seedRgmanager } from '../lab/rgmanager.mjs'
import { writeWorld } from '../lab/world.mjs'

export const LAB_BIN = fileURLToPath(new URL('../lab/bin/', import.meta.url))

/**
 * The engine's local runner (no shell, scrubbed environment, process-group timeouts), with one
 * lab twist: a `spec.node` is reached as the lab's ssh reaches it, by running the tool here with
 * TANDEM_LAB_NODE set, so tools "run on" that node. Every call is recorded.
 */
export function labRunner(): CommandRunner & { calls: CommandSpec[] } {
  const calls: CommandSpec[] = []
  const local = createLocalRunner({ killGraceMs: 200 })
  return {
    calls,
    run(spec) {
      calls.push(spec)
      const env = spec.node ? { ...spec.env, TANDEM_LAB_NODE: spec.node } : spec.env
      return local.run({ ...spec, env })
    },
  }
}

/** A plugin context for tests: the plugin's config parsed by its own schema, a real inventory. */
export function pluginContext<Config>(
  plugin: PluginDefinition<Config>,
  rawConfig: unknown,
  options: { inventoryYaml?: string; runner?: CommandRunner; timeoutMs?: number } = {},
): PluginContext<Config> & { logs: string[] } {
  const logs: string[] = []
  const logAt = (level: string) => (msg: string) => {
    logs.push(`${level} ${msg}`)
  }
  const log: Logger = {
    debug: logAt('debug'),
    info: logAt('info'),
    warn: logAt('warn'),
    error: logAt('error'),
  }
  const config = parseConfig('test.yaml', options.inventoryYaml ?? 'version: 1\n')
  return {
    config: plugin.config.parse(rawConfig),
    inventory: createInventory(config),
    runner: options.runner ?? labRunner(),
    log,
    logs,
    signal: new AbortController().signal,
    timeoutMs: options.timeoutMs ?? 10_000,
    secrets: {
      resolve: async () => {
        throw new Error('no secrets in cluster tests')
      },
    },
    dryRun: false,
  }
}

/** An action of a plugin, or a test failure naming it. */
export function actionOf<Config>(
  plugin: PluginDefinition<Config>,
  name: string,
): ActionDefinition<
  // biome-ignore lint/suspicious/noExplicitAny: tests feed each action its own literal inputs
  any,
  Config
> {
  const found = plugin.actions?.[name]
  if (!found) throw new Error(`${plugin.name} has no action ${name}`)
  return found
}

/** The PluginError a promise rejects with; a promise that resolves fails the test. */
export async function failure(promise: Promise<unknown>): Promise<PluginError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!error) throw new Error('expected the action to fail')
  return error as PluginError
}

/** What a test compares of a PluginError: its kind, the tool's exit code and its words. */
export function said(error: PluginError): [string, number | null, string] {
  return [error.kind, error.exitCode, error.toolMessage]
}

/**
 * A fresh lab world (its own file, set as $TANDEM_LAB_WORLD) with node1..node3 up and an
 * rgmanager cluster of them running `services`. Returns the world file's path.
 */
export function labCluster(services: Record<string, Partial<RgService>>): string {
  const file = join(tempDir('rgm'), 'world.json')
  process.env.TANDEM_LAB_WORLD = file
  const nodes = ['node1', 'node2', 'node3']
  writeWorld({
    version: 1,
    nodes: Object.fromEntries(nodes.map((n) => [n, { up: true, power: 'on' as const }])),
    rgmanager: seedRgmanager({ nodes, services }),
  })
  return file
}

/** A fresh temp directory for one test's world file or CIB copy. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tandem-${prefix}-`))
}
