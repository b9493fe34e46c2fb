// Channels as notifiers see them: `with:` checked against the plugin's schema at load, resolved at send.
import type { Channel, Config, XrefIssue } from '../inventory/index.ts'
import { nearestName, unknownKeyMessage } from '../inventory/index.ts'
import type { NotifierDefinition, PluginDefinition } from '../plugin/index.ts'
import type { Registry } from '../plugin-host/index.ts'

/** A channel ready to send through: its notifier, its parsed `with:` and its plugin's config. */
export interface ResolvedChannel {
  channel: Channel
  plugin: PluginDefinition
  notifier: NotifierDefinition
  settings: unknown
  pluginConfig: unknown
}

/**
 * Checks every channel against the notifier plugins: the `type` exists, and `with:` passes the
 * notifier's `channel` schema. Returns path-based issues the config loader positions in the file:
 *
 * @example
 * const registry = createRegistry(builtinPlugins)
 * const config = await loadConfig(file, { checks: [(c) => checkChannels(c, registry)] })
 */
export function checkChannels(config: Config, registry: Registry): XrefIssue[] {
  const issues: XrefIssue[] = []
  config.channels.forEach((channel, i) => {
    const found = registry.notifier(channel.type)
    if (!found) {
      const types = registry.plugins.flatMap((p) => Object.keys(p.notifiers ?? {}))
      const near = nearestName(channel.type, types)
      const hint = near
        ? `; did you mean "${near}"?`
        : types.length
          ? `; known: ${types.join(', ')}`
          : ''
      issues.push({
        path: ['channels', i, 'type'],
        message: `no notifier plugin provides "${channel.type}"${hint}`,
      })
      return
    }
    const parsed = found.notifier.channel.safeParse(channel.with)
    if (!parsed.success) issues.push(...withIssues(parsed.error.issues, found.notifier, channel, i))
  })
  return issues
}

/**
 * Resolves channels by name against the current config, parsing each once per config.
 * A string result says why the channel cannot be used (it was removed, its plugin is gone).
 */
export function createChannelResolver(
  registry: Registry,
): (config: Config, name: string) => ResolvedChannel | string {
  const cache = new WeakMap<Config, Map<string, ResolvedChannel | string>>()
  return function resolveChannel(config, name) {
    const byName = cache.get(config) ?? new Map<string, ResolvedChannel | string>()
    cache.set(config, byName)
    const resolved = byName.get(name) ?? resolve(registry, config, name)
    byName.set(name, resolved)
    return resolved
  }
}

function resolve(registry: Registry, config: Config, name: string): ResolvedChannel | string {
  const channel = config.channels.find((c) => c.name === name)
  if (!channel) return `no channel "${name}" in the config (removed since the notice was queued?)`
  const found = registry.notifier(channel.type)
  if (!found) return `no notifier plugin provides "${channel.type}"`
  const settings = found.notifier.channel.safeParse(channel.with)
  if (!settings.success)
    return `channel "${name}": ${settings.error.issues.map((i) => i.message).join('; ')}`
  const { module: _module, ...block } = config.plugins[found.plugin.name] ?? {}
  const pluginConfig = found.plugin.config.safeParse(block)
  if (!pluginConfig.success) return `plugin ${found.plugin.name}: invalid config`
  return {
    channel,
    plugin: found.plugin,
    notifier: found.notifier,
    settings: settings.data,
    pluginConfig: pluginConfig.data,
  }
}

function withIssues(
  issues: readonly ZodIssueLike[],
  notifier: NotifierDefinition,
  channel: Channel,
  i: number,
): XrefIssue[] {
  const at = (path: PropertyKey[]) => [
    'channels',
    i,
    'with',
    ...path.map((p) => (typeof p === 'number' ? p : String(p))),
  ]
  return issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys' || !issue.keys)
      return [{ path: at(issue.path), message: messageOf(issue) }]
    return issue.keys.map((key) => ({
      path: at([...issue.path, key]),
      message: unknownKeyMessage(key, notifier.channel, channel.with, issue.path),
    }))
  })
}

interface ZodIssueLike {
  code: string
  path: PropertyKey[]
  message: string
  keys?: string[]
  expected?: string
}

function messageOf(issue: ZodIssueLike): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined'))
    return `required: expected ${issue.expected}`
  return issue.message
}
