// The plugin contract kit: every plugin, ours or third-party, runs these tests (unstorage's testDriver
// pattern). Call testPluginContract(plugin, options) inside a vitest file.
import { describe, expect, it } from 'vitest'
import {
  Config,
  createInventory,
  createSecretResolver,
  type Inventory,
} from '../core/inventory/index.ts'
import {
  ACTION_SCOPES,
  type CommandResult,
  type CommandRunner,
  createLocalRunner,
  createRegistry,
  type PluginContext,
  type PluginDefinition,
  PluginError,
} from '../core/plugin/index.ts'
import { INJECTION_CORPUS } from './fixtures/injection-corpus.ts'

export interface ContractOptions {
  /** The plugin's config block as a user would write it. */
  config?: unknown
  /** Inventory the samples refer to (default: empty). */
  inventory?: Inventory
  /** One valid input per action; every action needs one, so none goes untested. */
  actions?: Record<string, { input: Record<string, unknown>; templated?: string[] }>
  /** One valid input per probe. */
  probes?: Record<string, { input: Record<string, unknown> }>
  /** Runner for describe (default: the real local runner). */
  runner?: CommandRunner
  /** Environment for `env:` secret references (test values, never real ones). */
  env?: Record<string, string>
}

const SHELLS = /(^|\/)(sh|bash|dash|zsh|ksh|busybox)$/

/**
 * Registers the contract tests for one plugin.
 *
 * @example
 * testPluginContract(lvs, { config: { ipvsadm: 'test/lab/bin/ipvsadm' }, inventory,
 *   actions: { drain: { input: { service: 'web', node: 'node2' } } } })
 */
export function testPluginContract(plugin: PluginDefinition, options: ContractOptions = {}): void {
  const inventory = options.inventory ?? createInventory(Config.parse({}))
  const ctx = (runner: CommandRunner, dryRun = true): PluginContext => ({
    config: plugin.config.parse(options.config ?? {}),
    inventory,
    runner,
    log: { debug() {}, info() {}, warn() {}, error() {} },
    signal: new AbortController().signal,
    timeoutMs: 10_000,
    secrets: createSecretResolver({ ...process.env, ...options.env }),
    dryRun,
  })
  const realRunner = options.runner ?? createLocalRunner()

  describe(`plugin contract: ${plugin.name}`, () => {
    it('loads into the registry and parses its own config', () => {
      expect(() => createRegistry([plugin])).not.toThrow()
      expect(plugin.config.safeParse(options.config ?? {}).success).toBe(true)
      expect(plugin.description.length).toBeGreaterThan(0)
    })

    for (const [name, action] of Object.entries(plugin.actions ?? {})) {
      const sample = () => {
        const found = options.actions?.[name]
        if (!found) throw new Error(`contract: give a sample input for action "${name}"`)
        return found
      }
      describe(`action ${name}`, () => {
        it('has a valid sample input and describes argv arrays, never a shell string', async () => {
          const input = action.input.parse(sample().input)
          const commands = await action.describe(input, ctx(realRunner))
          expect(Array.isArray(commands)).toBe(true)
          for (const command of commands) expectSafeArgv(command.argv)
        })

        it('declares traits the engine can rely on', () => {
          const input = action.input.parse(sample().input)
          expect(typeof action.idempotent).toBe('boolean')
          expect(typeof action.destructive).toBe('boolean')
          // Who may ask for it: the API and the executor check the requester against this.
          expect(ACTION_SCOPES, `action ${name} must declare scope`).toContain(action.scope)
          // Powering a node off or moving guests away needs the top of the ladder.
          if (action.fences) expect(action.scope).toBe('fence')
          if (action.destructive) expect(action.scope).not.toBe('read')
          // After a crash the engine may only repeat what it can read back.
          if (action.destructive && !action.idempotent) expect(action.verify).toBeTypeOf('function')
          if (action.fences) expect(action.fences(input)).toBeTypeOf('string')
          if (action.fences) expect(action.verify).toBeTypeOf('function')
          if (action.target) expect(action.target(input)).toBeTypeOf('string')
        })

        it('keeps every hostile templated value one literal argument (or refuses it)', async () => {
          const { input, templated } = sample()
          const fields = templated ?? Object.keys(input).filter((k) => typeof input[k] === 'string')
          for (const field of fields)
            for (const hostile of INJECTION_CORPUS) {
              const parsed = action.input.safeParse({ ...input, [field]: hostile })
              if (!parsed.success) continue
              const commands = await action.describe(parsed.data, ctx(realRunner))
              for (const { argv } of commands) {
                expectSafeArgv(argv)
                for (const arg of argv)
                  if (hostile.length > 2 && arg.includes(hostile))
                    expect(
                      arg === hostile || arg.endsWith(`=${hostile}`),
                      `${field}=${JSON.stringify(hostile)} was spliced into ${JSON.stringify(arg)}`,
                    ).toBe(true)
              }
            }
        })

        it('fails with a PluginError keeping the tool message when the tool fails', async () => {
          const input = action.input.parse(sample().input)
          const failing = failingRunner('tool said: no such destination')
          const outcome = await action.run(input, ctx(failing, false)).then(
            () => undefined,
            (error: unknown) => error,
          )
          // An action may legitimately succeed without commands (nothing to change).
          if (failing.calls === 0 && outcome === undefined) return
          expect(outcome).toBeInstanceOf(PluginError)
          expect((outcome as PluginError).message).toMatch(new RegExp(`^\\[${plugin.name}\\]`))
        })
      })
    }

    for (const [name, probe] of Object.entries(plugin.probes ?? {})) {
      it(`probe ${name} never throws, even when its tool cannot run`, async () => {
        const input = options.probes?.[name]?.input
        if (!input) throw new Error(`contract: give a sample input for probe "${name}"`)
        const broken: CommandRunner = {
          run: () => Promise.reject(new Error('[runner] cannot run tool: ENOENT')),
        }
        const result = await probe.run(probe.input.parse(input), ctx(broken, false))
        expect(['ok', 'warning', 'critical', 'unknown', 'timeout']).toContain(result.status)
        expect(result.status).not.toBe('ok')
      })
    }
  })
}

function expectSafeArgv(argv: unknown): void {
  expect(Array.isArray(argv)).toBe(true)
  const list = argv as unknown[]
  expect(list.length).toBeGreaterThan(0)
  for (const arg of list) expect(typeof arg).toBe('string')
  const [program, flag] = list as string[]
  if (SHELLS.test(program ?? '')) expect(flag, 'argv runs a shell with -c').not.toBe('-c')
}

function failingRunner(stderr: string): CommandRunner & { calls: number } {
  const runner = {
    calls: 0,
    async run(): Promise<CommandResult> {
      runner.calls++
      return {
        code: 1,
        signal: null,
        stdout: '',
        stderr,
        durationMs: 1,
        timedOut: false,
        truncated: false,
      }
    },
  }
  return runner
}
