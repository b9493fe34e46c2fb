// Test support for the cluster plugins: an argv runner shaped like the engine's, plugin contexts, lab worlds.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInventory, parseConfig } from '../core/inventory/index.ts'
import type {
  CommandResult,
  CommandRunner,
  CommandSpec,
  Logger,
  PluginContext,
  PluginDefinition,
} from '../core/plugin/index.ts'

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
