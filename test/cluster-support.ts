// Test support for the cluster plugins: an argv runner shaped like the engine's, plugin contexts, lab worlds.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInventory, parseConfig } from '../core/inventory/index.ts'
import type {
  ActionDefinition,
  CommandResult,
  CommandRunner,
  CommandSpec,
  Logger,
  PluginContext,
  PluginDefinition,
  PluginError,
} from '../core/plugin/index.ts'
import { type RgService, seedRgmanager } from './lab/rgmanager.mjs'
import { writeWorld } from './lab/world.mjs'

export const LAB_BIN = fileURLToPath(new URL('./lab/bin/', import.meta.url))

/**
 * Runs argv arrays with execFile semantics (no shell), a scrubbed environment plus `spec.env`, a
 * timeout that kills the process group and stdin when given. A `spec.node` is reached as the lab's
 * ssh would reach it: the tool runs locally with TANDEM_LAB_NODE set. Every call is recorded.
 */
export function labRunner(): CommandRunner & { calls: CommandSpec[] } {
  const calls: CommandSpec[] = []
  return {
    calls,
    run(spec) {
      calls.push(spec)
      return runArgv(spec)
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

function runArgv(spec: CommandSpec): Promise<CommandResult> {
  const started = performance.now()
  const [file = '', ...args] = spec.argv
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' }
  if (spec.node) env.TANDEM_LAB_NODE = spec.node
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: { ...env, ...spec.env }, detached: true })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      timedOut = true
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    }, spec.timeoutMs ?? 10_000)
    child.on('error', (error) => {
      stderr += `${error.message}\n`
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({
        code,
        signal,
        stdout,
        stderr,
        durationMs: performance.now() - started,
        timedOut,
        truncated: false,
      })
    })
    // A tool that exits without reading stdin makes the write fail with EPIPE: that is not an error here.
    child.stdin.on('error', () => {})
    child.stdin.end(spec.stdin ?? '')
  })
}
