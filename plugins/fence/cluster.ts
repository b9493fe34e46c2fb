// Cluster-driven fencing: `fence_node` (cman/rgmanager) and `stonith_admin` (Pacemaker) fence;
// tandem asks, then reads the cluster's answer back.
import { XMLParser } from 'fast-xml-parser'
import {
  type CommandResult,
  type PluginContext,
  PluginError,
  runOnFirstReachable,
} from '../../core/plugin/index.ts'
import type { FenceOutcome } from './agents.ts'
import type { FenceConfig } from './config.ts'

/** One entry of Pacemaker's fencing history (`stonith_admin --history --output-as=xml`). */
export interface FenceEvent {
  action: string
  target: string
  status: string
  delegate?: string
  /** Seconds since the epoch. */
  completed?: number
}

/** The argv tandem runs to ask the cluster to fence (or unfence) `node`. */
export function clusterArgv(config: FenceConfig, node: string, unfence = false): string[] {
  if (config.mode === 'fence_node')
    return unfence ? [config.fence_node, '-U', node] : [config.fence_node, '-v', node]
  const what = unfence ? '--unfence' : config.action === 'reboot' ? '--reboot' : '--fence'
  return [
    config.stonith_admin,
    what,
    node,
    '--timeout',
    String(Math.ceil(config.cluster_timeout / 1000)),
  ]
}

/** Asks the cluster to fence `node`; for Pacemaker, confirms it in the fencing history. */
export async function fenceWithCluster(
  ctx: PluginContext<FenceConfig>,
  node: string,
): Promise<FenceOutcome> {
  const started = Math.floor(Date.now() / 1000)
  const result = await run(ctx, clusterArgv(ctx.config, node), node)
  if (result.code !== 0) throw clusterError(ctx.config, result, 'FENCE_FAILED')
  const outcome: FenceOutcome = {
    node,
    mode: ctx.config.mode,
    action: ctx.config.action,
    agentSaysOff: true,
    level: null,
    device: null,
    devices: [],
    confirmedBy: 'cluster',
    attempts: [],
  }
  if (ctx.config.mode === 'fence_node') return outcome
  // Pacemaker keeps its own record: the fence counts only once the history shows it.
  const event = await lastFence(ctx, node)
  if (!event || (event.completed ?? 0) < started - 1 || !isPowerOff(event))
    throw new PluginError(
      'fence',
      'FENCE_UNCONFIRMED',
      `stonith_admin reported success but the fencing history shows no fence of ${node} since ${new Date(started * 1000).toISOString()}`,
    )
  return { ...outcome, device: event.delegate ?? null }
}

/** Pacemaker's view: the latest successful fencing event of `node`, if any. */
export async function lastFence(
  ctx: PluginContext<FenceConfig>,
  node: string,
): Promise<FenceEvent | undefined> {
  const result = await run(
    ctx,
    [ctx.config.stonith_admin, '--history', node, '--output-as=xml'],
    node,
  )
  if (result.code !== 0) throw clusterError(ctx.config, result, 'HISTORY_UNAVAILABLE')
  return parseFenceHistory(result.stdout)
    .filter((e) => e.target === node && e.status === 'success')
    .sort((a, b) => (a.completed ?? 0) - (b.completed ?? 0))
    .at(-1)
}

/** Lifts the fence through the cluster (`fence_node -U`, `stonith_admin --unfence`). */
export async function unfenceWithCluster(ctx: PluginContext<FenceConfig>, node: string) {
  const result = await run(ctx, clusterArgv(ctx.config, node, true), node)
  if (result.code !== 0) throw clusterError(ctx.config, result, 'UNFENCE_FAILED')
  return { node, message: (result.stderr || result.stdout).trim() }
}

/** Every `<fence_event>` of a `stonith_admin --output-as=xml` document. */
export function parseFenceHistory(xml: string): FenceEvent[] {
  const events: FenceEvent[] = []
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item)
      return
    }
    if (!value || typeof value !== 'object') return
    for (const [key, child] of Object.entries(value)) {
      if (key === 'fence_event')
        for (const e of [child].flat() as Record<string, string>[])
          events.push({
            action: e.action ?? '',
            target: e.target ?? '',
            status: e.status ?? '',
            ...(e.delegate ? { delegate: e.delegate } : {}),
            ...(e.completed
              ? { completed: Date.parse(e.completed.replace(' ', 'T').replace(' ', '')) / 1000 }
              : {}),
          })
      else walk(child)
    }
  }
  walk(historyParser.parse(xml))
  return events
}

export function isPowerOff(event: FenceEvent): boolean {
  return event.action === 'off' || event.action === 'reboot'
}

const historyParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' })

/**
 * Any live cluster member can ask its cluster to fence: `run_on` if set, else the first
 * cluster node (never the victim) that answers and runs cman or a fencer.
 */
async function run(
  ctx: PluginContext<FenceConfig>,
  argv: string[],
  victim: string,
): Promise<CommandResult> {
  const nodes = ctx.config.run_on
    ? [ctx.config.run_on]
    : ctx.inventory.config.nodes
        .filter((n) => n.roles.includes('cluster') && n.name !== victim)
        .map((n) => n.name)
  const spec = {
    argv,
    timeoutMs: Math.min(ctx.timeoutMs, ctx.config.cluster_timeout + 10_000),
    signal: ctx.signal,
  }
  const { result } = await runOnFirstReachable(ctx.runner, nodes, spec, NOT_HERE)
  return result
}

/** Words of a member that is up but cannot speak for its cluster: try the next one. */
const NOT_HERE = /cannot connect to cman|Could not connect to fencer/

/** The tool's own words, typed by what its exit status means. */
function clusterError(config: FenceConfig, result: CommandResult, fallback: string): PluginError {
  const message =
    xmlErrors(result.stdout) ??
    (result.stderr.trim() || result.stdout.trim() || `exit ${result.code}`)
  const tool = config.mode === 'fence_node' ? config.fence_node : config.stonith_admin
  let kind = fallback
  if (result.timedOut) kind = 'TIMEOUT'
  else if (config.mode === 'fence_node' && result.code === 2) kind = 'NO_FENCING'
  else if (config.mode === 'stonith_admin')
    kind =
      { 102: 'NOT_CONNECTED', 105: 'NO_SUCH_DEVICE', 124: 'TIMEOUT' }[result.code ?? -1] ?? fallback
  return new PluginError('fence', kind, message, { exitCode: result.code, context: tool })
}

/** `--output-as=xml` puts a failure inside the document: `<status><errors><error>…`. */
function xmlErrors(stdout: string): string | undefined {
  if (!stdout.includes('<pacemaker-result')) return undefined
  const doc = historyParser.parse(stdout) as {
    'pacemaker-result'?: { status?: { message?: string; errors?: { error?: string | string[] } } }
  }
  const status = doc['pacemaker-result']?.status
  const errors = [status?.errors?.error ?? []].flat().map(String)
  if (errors.length === 0 && !status?.message) return undefined
  return errors.length > 0 ? errors.join('\n') : status?.message
}
