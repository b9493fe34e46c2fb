// Load-time check of fence devices against their agents' metadata: unknown, missing, mistyped
// options and unsupported actions are found before a node ever needs fencing.
import { type Inventory, nearestName, type PluginContext } from '../../core/plugin/index.ts'
import type { FenceConfig } from './config.ts'
import { type AgentInfo, type AgentParam, agentInfo } from './metadata.ts'

/** One problem, pointing at the config field (the loader turns the path into file:line:col). */
export interface FenceConfigIssue {
  path: (string | number)[]
  message: string
  severity: 'error' | 'warning'
}

/**
 * Checks every declared fence device and every level entry. Agents are asked for their
 * metadata once (cached); an agent that cannot answer is a warning (legacy agents such as
 * fence_gnbd have none) unless it cannot be run at all.
 *
 * @example
 * const issues = await checkFencing(ctx)
 * const errors = issues.filter((i) => i.severity === 'error')
 */
export async function checkFencing(ctx: PluginContext<FenceConfig>): Promise<FenceConfigIssue[]> {
  const { devices, nodes } = ctx.inventory.config.fencing
  const issues: FenceConfigIssue[] = []
  const infos = new Map<string, AgentInfo>()
  for (const [i, device] of devices.entries()) {
    const info = await agentInfo(ctx, device.agent)
    infos.set(device.name, info)
    issues.push(...deviceIssues(ctx.config, info, device, ['fencing', 'devices', i]))
  }
  for (const [n, fencing] of nodes.entries())
    for (const [l, level] of fencing.levels.entries())
      for (const [d, entry] of level.entries()) {
        if (typeof entry === 'string' || entry.plug === undefined) continue
        const info = infos.get(entry.device)
        if (info && !info.plugKey)
          issues.push({
            path: ['fencing', 'nodes', n, 'levels', l, d, 'plug'],
            message: `${info.agent} takes no plug (its metadata has no plug, port or nodename option)`,
            severity: 'error',
          })
      }
  return issues
}

type Device = Inventory['config']['fencing']['devices'][number]

function deviceIssues(
  config: FenceConfig,
  info: AgentInfo,
  device: Device,
  at: (string | number)[],
): FenceConfigIssue[] {
  const issues: FenceConfigIssue[] = []
  const add = (
    path: (string | number)[],
    message: string,
    severity: 'error' | 'warning' = 'error',
  ) => issues.push({ path: [...at, ...path], message, severity })
  if (info.source !== 'metadata') {
    const fatal = /cannot run|exited 127|exited 126/.test(info.problem ?? '')
    if (info.source === 'unknown' || fatal)
      add(
        ['agent'],
        `${info.agent} (${info.path}) gave no metadata: ${info.problem}; its options cannot be checked${fatal ? '' : ' and tandem will only ask it to fence'}`,
        fatal ? 'error' : 'warning',
      )
    return issues
  }
  for (const [key, value] of Object.entries(device.options)) {
    const param = info.params.get(key)
    if (key === 'action')
      add(['options', key], 'tandem chooses the action (fence plugin `action`); remove it here')
    else if (!param) {
      const current = [...info.params.values()].filter((p) => !p.deprecated).map((p) => p.name)
      const near = nearestName(key, current)
      add(
        ['options', key],
        `${info.agent} has no option "${key}"${near ? `; did you mean "${near}"?` : ''}`,
      )
    } else {
      if (param.deprecated)
        add(
          ['options', key],
          `"${key}" is deprecated in ${info.agent}${replacement(info, key)}`,
          'warning',
        )
      const bad = typeProblem(param, value)
      if (bad) add(['options', key], bad)
    }
  }
  for (const param of info.params.values()) {
    if (
      !param.required ||
      param.deprecated ||
      param.name === 'action' ||
      param.name === info.plugKey
    )
      continue
    const given =
      param.name in device.options ||
      (param.obsoletes !== undefined && param.obsoletes in device.options)
    if (!given) add(['options'], `${info.agent} requires option "${param.name}"`)
  }
  if (!info.actions.has('off')) add(['agent'], `${info.agent} cannot power off (no "off" action)`)
  if (config.action === 'reboot' && !info.actions.has('reboot'))
    add(['agent'], `${info.agent} has no "reboot" action; tandem will use "off"`, 'warning')
  if (device.kind === 'power' && !info.actions.has('status'))
    add(
      ['agent'],
      `${info.agent} has no "status" action: tandem cannot confirm the node is off`,
      'warning',
    )
  return issues
}

function replacement(info: AgentInfo, key: string): string {
  const newer = [...info.params.values()].find((p) => p.obsoletes === key)
  return newer ? `; use "${newer.name}"` : ''
}

function typeProblem(param: AgentParam, value: string | number | boolean): string | undefined {
  const text = String(value)
  if ((param.type === 'integer' || param.type === 'second') && !/^\d+(\.\d+)?$/.test(text))
    return `"${param.name}" takes ${param.type === 'second' ? 'seconds' : 'an integer'}, not "${text}"`
  if (param.type === 'boolean' && !/^(1|0|true|false|yes|no|on|off)$/i.test(text))
    return `"${param.name}" is a boolean (true/false), not "${text}"`
  return undefined
}
