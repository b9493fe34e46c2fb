// Reads a fence agent's `action=metadata` XML (its options and actions) and caches it per agent.
import { XMLParser } from 'fast-xml-parser'
import type { PluginContext } from '../../core/plugin/index.ts'
import { agentPath, type FenceConfig, LEGACY_AGENTS } from './config.ts'

/** One option an agent accepts, as its metadata declares it. */
export interface AgentParam {
  name: string
  required: boolean
  deprecated: boolean
  /** The older name this one replaces (`ip` obsoletes `ipaddr`). */
  obsoletes?: string
  /** string | integer | second | boolean | select ... */
  type: string
}

/** What tandem knows about one agent. */
export interface AgentInfo {
  agent: string
  path: string
  /** `metadata`: read from the agent; `legacy`: from tandem's quirks; `unknown`: nothing known. */
  source: 'metadata' | 'legacy' | 'unknown'
  /** Accepted options by name; empty when not known (then every option is passed through). */
  params: Map<string, AgentParam>
  actions: Set<string>
  /** The stdin key naming the victim (`plug`, `port`, `nodename`), or none for one-node devices. */
  plugKey?: string
  /** Why the metadata could not be read, when it could not. */
  problem?: string
}

const cache = new Map<string, Promise<AgentInfo>>()

/**
 * The agent's metadata, read once per agent path and node (and retried after a failure).
 *
 * @example
 * const info = await agentInfo(ctx, 'fence_ipmilan')
 * info.actions.has('status')
 */
export function agentInfo(ctx: PluginContext<FenceConfig>, agent: string): Promise<AgentInfo> {
  const path = agentPath(ctx.config, agent)
  const key = `${ctx.config.run_on ?? ''}\0${path}`
  let pending = cache.get(key)
  if (!pending) {
    pending = readAgentInfo(ctx, agent, path)
    cache.set(key, pending)
    // Only a good answer is kept: an agent installed after a failed read is seen next time.
    void pending.then((info) => info.source === 'unknown' && cache.delete(key))
  }
  return pending
}

/** Forgets every cached answer (tests, and after agents are upgraded in place). */
export function clearAgentInfoCache(): void {
  cache.clear()
}

/** Parses metadata XML; throws when it is not a fence agent's `<resource-agent>` document. */
export function parseMetadata(xml: string): { params: AgentParam[]; actions: string[] } {
  const doc = parser.parse(xml) as { 'resource-agent'?: RawAgent }
  const root = doc['resource-agent']
  if (!root || typeof root !== 'object') throw new Error('no <resource-agent> element')
  const params = (root.parameters?.parameter ?? []).map((p) => ({
    name: String(p.name),
    required: String(p.required) === '1',
    deprecated: String(p.deprecated ?? '0') === '1',
    ...(p.obsoletes ? { obsoletes: String(p.obsoletes) } : {}),
    type: String(p.content?.type ?? 'string'),
  }))
  const actions = (root.actions?.action ?? []).map((a) => String(a.name))
  return { params, actions }
}

interface RawAgent {
  parameters?: {
    parameter?: {
      name: string
      required?: string
      deprecated?: string
      obsoletes?: string
      content?: { type?: string }
    }[]
  }
  actions?: { action?: { name: string }[] }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => name === 'parameter' || name === 'action',
})

async function readAgentInfo(
  ctx: PluginContext<FenceConfig>,
  agent: string,
  path: string,
): Promise<AgentInfo> {
  const quirks = { ...LEGACY_AGENTS[agent], ...ctx.config.agents[agent] }
  const base = { agent, path, params: new Map<string, AgentParam>() }
  let problem: string
  try {
    const result = await ctx.runner.run({
      argv: [path],
      ...(ctx.config.run_on ? { node: ctx.config.run_on } : {}),
      stdin: 'action=metadata\n',
      timeoutMs: ctx.config.metadata_timeout,
      signal: ctx.signal,
    })
    if (result.code === 0 && result.stdout.includes('<resource-agent')) {
      const { params, actions } = parseMetadata(result.stdout)
      const names = new Set(params.map((p) => p.name))
      return {
        ...base,
        source: 'metadata',
        params: new Map(params.map((p) => [p.name, p])),
        actions: new Set(actions),
        plugKey: quirks.plug_key ?? ['plug', 'port', 'nodename'].find((k) => names.has(k)),
      }
    }
    problem = result.timedOut
      ? `no answer to action=metadata within ${ctx.config.metadata_timeout} ms`
      : `action=metadata exited ${result.code ?? result.signal}: ${firstLine(result.stdout + result.stderr)}`
  } catch (error) {
    problem = `cannot run ${path}: ${(error as Error).message}`
  }
  if (quirks.actions)
    return {
      ...base,
      source: 'legacy',
      actions: new Set(quirks.actions),
      ...(quirks.plug_key ? { plugKey: quirks.plug_key } : {}),
      problem,
    }
  // Nothing known: the agent may ignore `action` (as fence_gnbd does), so only fencing is safe.
  return { ...base, source: 'unknown', actions: new Set(['off']), plugKey: 'port', problem }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() || '(no output)'
}
