// The fence agent stdin protocol: options as `key=value` lines (secrets only here), exit codes read.
import { type PluginContext, PluginError } from '../../core/plugin/index.ts'
import type { FenceConfig } from './config.ts'
import type { AgentInfo } from './metadata.ts'

export type AgentAction = 'off' | 'on' | 'reboot' | 'status'
export type PowerState = 'on' | 'off' | 'unknown'

/** One device of one level, ready to run: the agent, its options and the victim's plug. */
export interface DeviceCall {
  device: string
  kind: 'power' | 'storage'
  info: AgentInfo
  options: Record<string, string | number | boolean>
  plug?: string
  timeoutMs: number
}

/** What one agent run said, in the agent's own words (secrets redacted). */
export interface AgentRun {
  /** The command as run (stdin keys only: values may be secret). */
  argv: string[]
  stdinKeys: string[]
  device: string
  agent: string
  action: AgentAction
  exitCode: number | null
  timedOut: boolean
  durationMs: number
  /** For `status`: 0 = on, 2 = off, anything else unknown (fence-agents' convention). */
  power?: PowerState
  /** The agent's output, warnings removed. */
  message: string
  /** fencing.py "Parse error: Ignoring unknown option" and similar lines. */
  warnings: string[]
}

const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S+)$/

/**
 * Runs the agent once with `action` and the device's options on stdin. Options the agent's
 * metadata does not know are left out (fencing.py would echo them, value included, in a
 * warning); secret references are resolved here and nowhere else.
 */
export async function runAgent(
  ctx: PluginContext<FenceConfig>,
  call: DeviceCall,
  action: AgentAction,
  timeoutMs: number,
): Promise<AgentRun> {
  const { text, secrets } = await stdinFor(ctx, call, action)
  const started = Date.now()
  const result = await ctx.runner.run({
    argv: [call.info.path],
    ...(ctx.config.run_on ? { node: ctx.config.run_on } : {}),
    stdin: text,
    timeoutMs,
    signal: ctx.signal,
  })
  const output = redact(`${result.stdout}\n${result.stderr}`, secrets)
  const lines = output.split('\n').map((l) => l.trim())
  const warnings = lines.filter((l) => /^WARNING:|\bWARNING: |^warning: /.test(l))
  return {
    argv: [call.info.path],
    stdinKeys: stdinKeys(call),
    device: call.device,
    agent: call.info.agent,
    action,
    exitCode: result.code,
    timedOut: result.timedOut,
    durationMs: Date.now() - started,
    ...(action === 'status' ? { power: powerFrom(result.code, result.timedOut) } : {}),
    message: lines.filter((l) => l && !warnings.includes(l)).join('\n'),
    warnings,
  }
}

/** The stdin keys a call would send, for `tandem plan` (values never shown). */
export function stdinKeys(call: DeviceCall): string[] {
  return ['action', ...(plugLine(call) ? [call.info.plugKey as string] : []), ...passed(call)]
}

/** One line an operator reads: `ipmi-node2 off: exit 1: Failed: Timed out waiting ...`. */
export function describeRun(run: AgentRun): string {
  const how = run.timedOut
    ? `timed out after ${Math.round(run.durationMs / 1000)}s`
    : `exit ${run.exitCode}`
  return `${run.device} ${run.action}: ${how}${run.message ? `: ${run.message.replaceAll('\n', ' / ')}` : ''}`
}

function powerFrom(code: number | null, timedOut: boolean): PowerState {
  if (timedOut) return 'unknown'
  return code === 0 ? 'on' : code === 2 ? 'off' : 'unknown'
}

async function stdinFor(ctx: PluginContext<FenceConfig>, call: DeviceCall, action: AgentAction) {
  const secrets: string[] = []
  const lines = [`action=${action}`]
  if (plugLine(call)) lines.push(`${call.info.plugKey}=${call.plug}`)
  for (const key of passed(call)) {
    let value = optionText(call.options[key] as string | number | boolean)
    if (SECRET_REF.test(value)) {
      value = await ctx.secrets.resolve(value)
      secrets.push(value)
    }
    lines.push(`${key}=${value}`)
  }
  for (const line of lines)
    if (/[\r\n]/.test(line))
      throw new PluginError(
        'fence',
        'BAD_OPTION',
        `option "${line.split('=')[0]}" of ${call.device} holds a line break; it would inject stdin lines`,
      )
  return { text: `${lines.join('\n')}\n`, secrets }
}

/** Device options the agent accepts (all of them when its metadata is unknown). */
function passed(call: DeviceCall): string[] {
  const known = call.info.params
  return Object.keys(call.options).filter(
    (key) =>
      key !== 'action' &&
      !(plugLine(call) && key === call.info.plugKey) &&
      (known.size === 0 || known.has(key)),
  )
}

function plugLine(call: DeviceCall): boolean {
  return call.plug !== undefined && call.info.plugKey !== undefined
}

function optionText(value: string | number | boolean): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value)
}

function redact(text: string, secrets: string[]): string {
  let out = text
  for (const secret of secrets) if (secret) out = out.split(secret).join('***')
  return out
}
