// The PluginContext an action gets: its config, a runner bound to the step, secrets, dry-run flag.
import { TandemError } from '../errors.ts'
import type { SecretResolver } from '../inventory/index.ts'
import type {
  CommandRunner,
  Inventory,
  Logger,
  PluginContext,
  PluginDefinition,
} from '../plugin/index.ts'
import { processStartTicks } from '../plugin-host/index.ts'
import { redactDeep } from './redact.ts'

/** What a step's runner observed: commands run (redacted) and processes spawned. */
export interface StepObserver {
  commands: { argv: string[]; node?: string }[]
  onSpawn(proc: { pid: number; startTicks?: number }): void
}

export interface ContextDeps {
  inventory: Inventory
  runner: CommandRunner
  secrets: SecretResolver
  log: Logger
  /** Plugin config blocks by plugin name, before parsing. */
  pluginConfig: Record<string, unknown>
}

/**
 * Parses and caches each plugin's own config block with its schema. The cache holds while the
 * block is the same object: a reloaded config brings new blocks, parsed again at their next use.
 */
export function configCache(deps: ContextDeps) {
  const parsed = new Map<string, { block: unknown; value: unknown }>()
  return (plugin: PluginDefinition): unknown => {
    const raw = deps.pluginConfig[plugin.name]
    const cached = parsed.get(plugin.name)
    if (cached && cached.block === raw) return cached.value
    // `module` says where a third-party plugin came from; it is not the plugin's own setting.
    const { module: _module, ...block } = (raw ?? {}) as Record<string, unknown>
    const result = plugin.config.safeParse(block)
    if (!result.success)
      throw new TandemError(
        'CONFIG_INVALID',
        `[${plugin.name}] invalid plugin config: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        { cause: result.error },
      )
    parsed.set(plugin.name, { block: raw, value: result.data })
    return result.data
  }
}

/**
 * A context for one attempt of one step: commands go through the shared runner with the
 * step's abort signal and timeout, and every spawn is reported so the journal can record it.
 */
export function stepContext(
  deps: ContextDeps,
  config: unknown,
  options: { signal: AbortSignal; timeoutMs: number; dryRun: boolean; observer?: StepObserver },
): PluginContext {
  const { observer } = options
  const runner: CommandRunner = {
    run: function runForStep(spec) {
      observer?.commands.push(
        redactDeep(
          { argv: spec.argv, ...(spec.node ? { node: spec.node } : {}) },
          deps.secrets.known(),
        ),
      )
      return deps.runner.run({
        ...spec,
        signal: spec.signal ?? options.signal,
        timeoutMs: spec.timeoutMs ?? options.timeoutMs,
        onSpawn(pid) {
          spec.onSpawn?.(pid)
          observer?.onSpawn({ pid, startTicks: processStartTicks(pid) })
        },
      })
    },
  }
  return {
    config,
    inventory: deps.inventory,
    runner,
    log: deps.log,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    secrets: deps.secrets,
    dryRun: options.dryRun,
  }
}
