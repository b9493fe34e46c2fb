// A PluginContext for lab tests: a real command runner (local, or the lab's ssh for nodes with
// an `ssh` block), real secrets from an env map, and a fresh world file.
//
// Stand-in runner: once core/plugin's createCommandRunner (branch act) is on main, build the
// runner with `createCommandRunner({ inventory, ssh: LAB_SSH })` and drop `labRunner` below.
import { spawn } from 'node:child_process'
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
  CommandResult,
  CommandRunner,
  CommandSpec,
  Logger,
  PluginContext,
  PluginDefinition,
} from '../../core/plugin/index.ts'
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

/** Runs argv for real: locally with the lab's bin first on PATH, or through the lab ssh. */
export function labRunner(inventory: Inventory, worldFile: string): CommandRunner {
  const env = {
    PATH: `${LAB_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    TANDEM_LAB_WORLD: worldFile,
    LANG: 'C',
  }
  return {
    run(spec) {
      const node = spec.node ? inventory.node(spec.node) : undefined
      if (spec.node && !node) return Promise.reject(new Error(`unknown node ${spec.node}`))
      const argv = node?.ssh
        ? [
            LAB_SSH,
            ...['-o', 'BatchMode=yes', '-p', String(node.ssh.port), '-l', node.ssh.user],
            node.address,
            '--',
            spec.argv.map(quote).join(' '),
          ]
        : spec.argv
      return execute(argv, spec, { ...env, ...(spec.env ?? {}) })
    },
  }
}

function execute(argv: string[], spec: CommandSpec, env: Record<string, string>) {
  const started = Date.now()
  return new Promise<CommandResult>((done, fail) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env, detached: true })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const timer = spec.timeoutMs
      ? setTimeout(() => {
          timedOut = true
          // The whole group: an agent's children (ssh, sh, sleeps) die with it.
          if (child.pid) process.kill(-child.pid, 'SIGKILL')
        }, spec.timeoutMs)
      : undefined
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      fail(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      done({
        code,
        signal,
        stdout,
        stderr,
        durationMs: Date.now() - started,
        timedOut,
        truncated: false,
      })
    })
    child.stdin.on('error', () => {})
    child.stdin.end(spec.stdin ?? '')
  })
}

function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`
}

function quietLog(warnings: string[]): Logger {
  return {
    debug: () => {},
    info: () => {},
    warn: (msg) => void warnings.push(msg),
    error: (msg) => void warnings.push(msg),
  }
}
