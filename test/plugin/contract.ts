// The plugin contract kit: every plugin, ours or third-party, runs these tests (unstorage's testDriver
// pattern). Built-ins run it from their example site (contract-sites.ts); others call it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Config,
  createInventory,
  createSecretResolver,
  type Inventory,
  parseConfig,
} from '../../core/inventory/index.ts'
import {
  ACTION_SCOPES,
  type CommandResult,
  type CommandRunner,
  type Notice,
  type NotifierDefinition,
  type PluginContext,
  type PluginDefinition,
  PluginError,
} from '../../core/plugin/index.ts'
import { createLocalRunner, createRegistry } from '../../core/plugin-host/index.ts'
import { INJECTION_CORPUS } from '../fixtures/injection-corpus.ts'

/** A real receiver for one notifier's medium, started by the kit for each check. */
export interface ContractReceiver {
  /** The channel `with:` that reaches this receiver. */
  channel: Record<string, unknown>
  /** The titles (mail subjects, webhook titles) of what it accepted, in order. */
  received(): Promise<string[]>
  /** From now on, refuse deliveries: temporarily (try later) or for good; undefined accepts. */
  refuse(kind: 'temporary' | 'permanent' | undefined): void
  /** Stops listening: senders get a refused connection. */
  close(): Promise<void>
}

export interface ContractOptions {
  /** The plugin's config block as a user would write it. */
  config?: unknown
  /** Inventory the samples refer to: parsed, YAML text, or a config object (default: empty). */
  inventory?: Inventory | string | Record<string, unknown>
  /** One valid input per action; every action needs one, so none goes untested. */
  actions?: Record<
    string,
    { input: Record<string, unknown>; templated?: string[]; withoutTools?: string }
  >
  /** One valid input per probe. */
  probes?: Record<string, { input: Record<string, unknown> }>
  /** Runner for describe (default: the real local runner). */
  runner?: CommandRunner
  /** Environment for `env:` secret references (test values, never real ones). */
  env?: Record<string, string>
  /** For each notifier (channel type): how to start a real receiver of its medium. */
  notifiers?: Record<string, { receiver(): Promise<ContractReceiver> }>
}

/** A plugin's example site: the options, and what to stop once its checks have run. */
export interface ContractSite extends ContractOptions {
  close?(): unknown
}

const SHELLS = /(^|\/)(sh|bash|dash|zsh|ksh|busybox)$/

/**
 * Registers the contract tests for one plugin. `options` may be a function that sets up the
 * plugin's example site: it runs before the checks, and the site's `close` after them.
 *
 * @example
 * testPluginContract(lvs, { config: { ipvsadm: 'test/lab/bin/ipvsadm' }, inventory,
 *   actions: { drain: { input: { service: 'web', node: 'node2' } } } })
 */
export function testPluginContract(
  plugin: PluginDefinition,
  options: ContractOptions | (() => Promise<ContractSite>) = {},
): void {
  let site: { options: ContractOptions; inventory: Inventory; runner: CommandRunner } | undefined
  const settle = (found: ContractOptions) => ({
    options: found,
    inventory: inventoryOf(plugin, found.inventory),
    runner: found.runner ?? createLocalRunner(),
  })
  if (typeof options !== 'function') site = settle(options)
  const the = () => {
    if (!site) throw new Error(`contract: the example site of ${plugin.name} did not load`)
    return site
  }
  const ctx = (runner: CommandRunner, dryRun = true): PluginContext => ({
    config: plugin.config.parse(the().options.config ?? {}),
    inventory: the().inventory,
    runner,
    log: { debug() {}, info() {}, warn() {}, error() {} },
    signal: new AbortController().signal,
    timeoutMs: 10_000,
    secrets: createSecretResolver({ ...process.env, ...the().options.env }),
    dryRun,
  })

  describe(`plugin contract: ${plugin.name}`, () => {
    if (typeof options === 'function') {
      let loaded: ContractSite | undefined
      beforeAll(async () => {
        loaded = await options()
        site = settle(loaded)
      })
      afterAll(async () => {
        await loaded?.close?.()
      })
    }

    it('loads into the registry and parses its own config', () => {
      expect(() => createRegistry([plugin])).not.toThrow()
      expect(plugin.config.safeParse(the().options.config ?? {}).success).toBe(true)
      expect(plugin.description.length).toBeGreaterThan(0)
      // A sample for an action or probe the plugin no longer has (renamed?) tests nothing.
      for (const [kind, samples, defined] of [
        ['action', the().options.actions, plugin.actions],
        ['probe', the().options.probes, plugin.probes],
        ['notifier', the().options.notifiers, plugin.notifiers],
      ] as const)
        for (const name of Object.keys(samples ?? {}))
          expect(Object.keys(defined ?? {}), `a sample for no ${kind} "${name}"`).toContain(name)
    })

    for (const [name, action] of Object.entries(plugin.actions ?? {})) {
      const sample = () => {
        const found = the().options.actions?.[name]
        if (!found) throw new Error(`contract: give a sample input for action "${name}"`)
        return found
      }
      describe(`action ${name}`, () => {
        it('has a valid sample input and describes argv arrays, never a shell string', async () => {
          const input = action.input.parse(sample().input)
          const commands = await action.describe(input, ctx(the().runner))
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
              const commands = await action.describe(parsed.data, ctx(the().runner))
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
          // Succeeding without ever asking a tool is allowed only when the sample says why
          // (an action whose sample has nothing to change); else the test never tested it.
          if (failing.calls === 0 && outcome === undefined) {
            expect(
              sample().withoutTools,
              `action ${name} succeeded without running a tool; give its sample withoutTools: "why"`,
            ).toBeTruthy()
            return
          }
          expect(outcome).toBeInstanceOf(PluginError)
          expect((outcome as PluginError).message).toMatch(new RegExp(`^\\[${plugin.name}\\]`))
        })
      })
    }

    for (const [name, probe] of Object.entries(plugin.probes ?? {})) {
      it(`probe ${name} never throws, even when its tool cannot run`, async () => {
        const input = the().options.probes?.[name]?.input
        if (!input) throw new Error(`contract: give a sample input for probe "${name}"`)
        const broken: CommandRunner = {
          run: () => Promise.reject(new Error('[runner] cannot run tool: ENOENT')),
        }
        const result = await probe.run(probe.input.parse(input), ctx(broken, false))
        expect(['ok', 'warning', 'critical', 'unknown', 'timeout']).toContain(result.status)
        expect(result.status).not.toBe('ok')
      })
    }

    for (const [type, notifier] of Object.entries(plugin.notifiers ?? {}))
      describeNotifier(
        plugin,
        type,
        notifier,
        () => the().options,
        () => ctx(the().runner, false),
      )
  })
}

/**
 * The notifier checks: a channel missing its settings is refused by the schema; a notice is
 * delivered once with the rendered title; a temporary refusal is retried and a permanent one is
 * not; a receiver that is gone or a send past its deadline is a retryable failure, never a throw;
 * no secret of the channel appears in any result.
 */
function describeNotifier(
  plugin: PluginDefinition,
  type: string,
  notifier: NotifierDefinition,
  options: () => ContractOptions,
  base: () => PluginContext,
): void {
  const start = () => {
    const found = options().notifiers?.[type]
    if (!found) throw new Error(`contract: give a receiver for notifier "${type}"`)
    return found.receiver()
  }
  const send = async (channel: Record<string, unknown>, title: string, signal?: AbortSignal) => {
    const notice = contractNotice(title)
    const result = await notifier.send(notice, notifier.channel.parse(channel), {
      ...base(),
      signal: signal ?? AbortSignal.timeout(5_000),
      timeoutMs: 5_000,
      rendered: { subject: title, text: `${title}\n`, html: `<p>${title}</p>` },
      channelName: 'contract',
    })
    for (const secret of Object.values(options().env ?? {}))
      expect(result.detail).not.toContain(secret)
    return result
  }

  describe(`notifier ${type}`, () => {
    it('refuses a channel without its settings, naming a field', () => {
      const parsed = notifier.channel.safeParse({})
      expect(parsed.success).toBe(false)
      expect(parsed.error?.issues[0]?.path.length).toBeGreaterThan(0)
    })

    it('delivers a notice once, titled as rendered', async () => {
      const rx = await start()
      try {
        expect(await send(rx.channel, 'contract: node2 is down')).toMatchObject({ ok: true })
        expect(await rx.received()).toEqual(['contract: node2 is down'])
      } finally {
        await rx.close()
      }
    })

    it('asks for a retry on a temporary refusal, and gives up on a permanent one', async () => {
      const rx = await start()
      try {
        rx.refuse('temporary')
        expect(await send(rx.channel, 'contract: later')).toMatchObject({ ok: false, retry: true })
        rx.refuse('permanent')
        expect(await send(rx.channel, 'contract: never')).toMatchObject({ ok: false, retry: false })
        expect(await rx.received()).toEqual([])
      } finally {
        await rx.close()
      }
    })

    it('reports a receiver that is gone, or a deadline passed, as retryable, never by throwing', async () => {
      const rx = await start()
      await rx.close()
      const gone = await send(rx.channel, 'contract: nobody listens')
      expect(gone).toMatchObject({ ok: false, retry: true })
      expect(gone.detail).toMatch(new RegExp(`^\\[${plugin.name}\\]`))
      const late = await send(rx.channel, 'contract: too late', AbortSignal.abort())
      expect(late).toMatchObject({ ok: false, retry: true })
    })
  })
}

function inventoryOf(plugin: PluginDefinition, given: ContractOptions['inventory']): Inventory {
  if (given === undefined) return createInventory(Config.parse({}))
  if (typeof given === 'string')
    return createInventory(parseConfig(`plugins/${plugin.name}/contract.ts`, given))
  if (typeof (given as Partial<Inventory>).node === 'function') return given as Inventory
  return createInventory(Config.parse(given))
}

function contractNotice(title: string): Notice {
  const now = Date.now()
  return {
    id: `ntc_contract_${now.toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    receiver: 'contract',
    groupKey: 'contract',
    status: 'firing',
    severity: 'critical',
    title,
    summary: '1 firing (1 node.down)',
    labels: { severity: 'critical', node: 'node2' },
    events: [{ type: 'node.down', subject: 'node2', at: now, detail: title, status: 'firing' }],
    actions: [],
    refused: [],
    links: [],
    createdAt: now,
  }
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
