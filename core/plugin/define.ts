// definePlugin() and friends: identity functions that exist so TypeScript infers each hook's types.
import type { z } from 'zod'
import { TandemError } from '../errors.ts'
import type {
  ActionDefinition,
  NotifierDefinition,
  PluginDefinition,
  ProbeDefinition,
} from './types.ts'

/**
 * Declares a plugin. The registry validates it at load; this only helps inference.
 *
 * @example
 * export default definePlugin({
 *   name: 'hello', description: 'says hello', config: z.object({}),
 *   actions: { greet: defineAction({ ... }) },
 * })
 */
export function definePlugin<Config>(plugin: PluginDefinition<Config>): PluginDefinition<Config> {
  return plugin
}

/** Declares one action; `input` drives the type of every hook's first argument. */
export function defineAction<Schema extends z.ZodType, Config = unknown>(
  action: Omit<ActionDefinition<z.output<Schema>, Config>, 'input'> & { input: Schema },
): ActionDefinition<z.output<Schema>, Config> {
  return action as ActionDefinition<z.output<Schema>, Config>
}

/** Declares one probe kind contributed by a plugin. */
export function defineProbe<Schema extends z.ZodType, Config = unknown>(
  probe: Omit<ProbeDefinition<z.output<Schema>, Config>, 'input'> & { input: Schema },
): ProbeDefinition<z.output<Schema>, Config> {
  return probe as ProbeDefinition<z.output<Schema>, Config>
}

/** Declares one notifier (a channel `type`). */
export function defineNotifier<Schema extends z.ZodType, Config = unknown>(
  notifier: Omit<NotifierDefinition<z.output<Schema>, Config>, 'channel'> & { channel: Schema },
): NotifierDefinition<z.output<Schema>, Config> {
  return notifier as NotifierDefinition<z.output<Schema>, Config>
}

/**
 * A tool said no. `kind` is the typed reason; `toolMessage` is the tool's own words, kept verbatim.
 *
 * @example
 * throw new PluginError('lvs', 'DESTINATION_EXISTS', 'Destination already exists', { exitCode: 255 })
 */
export class PluginError extends TandemError {
  readonly plugin: string
  readonly kind: string
  readonly toolMessage: string
  readonly exitCode: number | null
  /**
   * The tool accepted the change; only reading it back failed (a fence device that powered the
   * node off, then refused the status read). The engine then never runs the action again for
   * this step: it reads the world back (`verify`) until it is confirmed or its tries run out.
   */
  readonly accepted: boolean

  constructor(
    plugin: string,
    kind: string,
    toolMessage: string,
    options: {
      exitCode?: number | null
      cause?: unknown
      context?: string
      accepted?: boolean
    } = {},
  ) {
    const context = options.context ? `${options.context}: ` : ''
    super('PLUGIN_ACTION_FAILED', `[${plugin}] ${context}${toolMessage}`, { cause: options.cause })
    this.name = 'PluginError'
    this.plugin = plugin
    this.kind = kind
    this.toolMessage = toolMessage
    this.exitCode = options.exitCode ?? null
    this.accepted = options.accepted ?? false
  }
}
