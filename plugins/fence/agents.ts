// Fencing with agents: walk the levels (every device of a level must fence and confirm), read
// status, unfence.
import { type PluginContext, PluginError } from '../../core/plugin/index.ts'
import type { FenceConfig } from './config.ts'
import { type Level, type NodePlan, planNode } from './levels.ts'
import {
  type AgentRun,
  type DeviceCall,
  describeRun,
  type PowerState,
  runAgent,
} from './protocol.ts'

/**
 * The agents' view of a fence, for the executor. `agentSaysOff` is what the agent claims, not a
 * confirmation: an agent can lie (fence_dummy says "Already OFF" when its state file is
 * missing), so the executor confirms only when the node has also stopped answering.
 */
export interface FenceOutcome {
  node: string
  mode: FenceConfig['mode']
  action: 'off' | 'reboot'
  agentSaysOff: boolean
  /** The level that fenced (1-based) and its devices; `device` is the first of them. */
  level: number | null
  device: string | null
  devices: string[]
  /** `status`: a status read said off; `agent`: the agent's own success (reboot, no status). */
  confirmedBy: 'status' | 'agent' | 'cluster'
  attempts: AgentRun[]
}

/** Walks the levels in order until every device of one level has fenced and confirmed. */
export async function fenceWithAgents(
  ctx: PluginContext<FenceConfig>,
  node: string,
): Promise<FenceOutcome> {
  const plan = await planNode(ctx, node)
  const budget = createBudget(ctx)
  await budget.sleep(plan.delayMs)
  const attempts: AgentRun[] = []
  for (const level of plan.levels) {
    const confirmed = await fenceLevel(ctx, level, budget, attempts).catch((error: unknown) => {
      // Out of time or aborted: say what was tried before giving up.
      if (!(error instanceof PluginError) || attempts.length === 0) throw error
      // An off a device accepted stays accepted, whatever cut its read-back short.
      const accepted = error.accepted || offAccepted(attempts)
      throw new PluginError(
        'fence',
        accepted ? 'UNCONFIRMED' : error.kind,
        `${error.toolMessage}; ${node} stays unclean${accepted ? ' (a device accepted the power-off: not sent again, only its status re-read)' : ''}:\n${attempts.map(describeRun).join('\n')}`,
        { cause: error, accepted },
      )
    })
    if (confirmed)
      return {
        node,
        mode: 'agents',
        action: ctx.config.action,
        agentSaysOff: true,
        level: level.index,
        device: level.devices[0]?.device ?? null,
        devices: level.devices.map((d) => d.device),
        confirmedBy: confirmed,
        attempts,
      }
    const next = plan.levels[plan.levels.indexOf(level) + 1]
    ctx.log.warn(
      `[fence] level ${level.index} did not fence ${node}; ${next ? `trying level ${next.index}` : 'no level left'}`,
      { node, level: level.index },
    )
  }
  throw new PluginError(
    'fence',
    'FENCE_FAILED',
    `every fencing level failed for ${node}; it stays unclean:\n${attempts.map(describeRun).join('\n')}`,
  )
}

/** Reads every level's status; a level whose devices all say off means the agents say off. */
export async function statusWithAgents(ctx: PluginContext<FenceConfig>, node: string) {
  const plan = await planNode(ctx, node)
  const budget = createBudget(ctx)
  const levels: {
    level: number
    devices: { device: string; power: PowerState; message: string }[]
  }[] = []
  for (const level of plan.levels) {
    const devices = []
    for (const call of level.devices.filter(canReadStatus)) {
      const run = await runAgent(ctx, call, 'status', budget.timeout(call))
      devices.push({ device: call.device, power: run.power ?? 'unknown', message: run.message })
    }
    if (devices.length > 0) levels.push({ level: level.index, devices })
  }
  if (levels.length === 0)
    throw new PluginError(
      'fence',
      'STATUS_UNAVAILABLE',
      `no fence device of ${node} can report status (${deviceNames(plan).join(', ')})`,
    )
  const answers = levels.flatMap((l) => l.devices)
  if (answers.every((d) => d.power === 'unknown'))
    throw new PluginError(
      'fence',
      'STATUS_UNAVAILABLE',
      `no fence device of ${node} answered status:\n${answers.map((d) => `${d.device}: ${d.message || 'no answer'}`).join('\n')}`,
    )
  const agentSaysOff = levels.some((l) => l.devices.every((d) => d.power === 'off'))
  const anyOn = levels.some((l) => l.devices.some((d) => d.power === 'on'))
  const power: PowerState = agentSaysOff ? 'off' : anyOn ? 'on' : 'unknown'
  return { node, agentSaysOff, power, levels }
}

/**
 * Lifts the fence: storage devices first (the node must see its disks before it boots), then,
 * when `powerOn`, power devices. Devices whose agent has no `on` (fence_gnbd) are skipped.
 */
export async function unfenceWithAgents(
  ctx: PluginContext<FenceConfig>,
  node: string,
  powerOn: boolean,
) {
  const plan = await planNode(ctx, node)
  const budget = createBudget(ctx)
  const calls = unique(plan.levels.flatMap((l) => l.devices))
  const ordered = [
    ...calls.filter((c) => c.kind === 'storage'),
    ...calls.filter((c) => c.kind === 'power' && powerOn),
  ]
  const runs: AgentRun[] = []
  const skipped: string[] = []
  for (const call of ordered) {
    if (!call.info.actions.has('on')) {
      skipped.push(`${call.device} (${call.info.agent} has no "on" action)`)
      continue
    }
    const run = await runAgent(ctx, call, 'on', budget.timeout(call))
    runs.push(run)
    if (run.exitCode !== 0)
      throw new PluginError('fence', 'UNFENCE_FAILED', describeRun(run), { exitCode: run.exitCode })
  }
  if (runs.length === 0 && skipped.length > 0)
    throw new PluginError(
      'fence',
      'UNFENCE_UNAVAILABLE',
      `no fence device of ${node} can unfence: ${skipped.join(', ')}`,
    )
  return { node, runs, skipped }
}

/** Runs one level; returns how it was confirmed, or null when any device failed. */
async function fenceLevel(
  ctx: PluginContext<FenceConfig>,
  level: Level,
  budget: Budget,
  attempts: AgentRun[],
): Promise<FenceOutcome['confirmedBy'] | null> {
  let how: FenceOutcome['confirmedBy'] = 'status'
  for (const call of level.devices) {
    const action = call.info.actions.has(ctx.config.action) ? ctx.config.action : 'off'
    const run = await runAgent(ctx, call, action, budget.timeout(call))
    attempts.push(run)
    for (const warning of run.warnings)
      ctx.log.warn(`[fence] ${call.device}: ${warning}`, { device: call.device })
    if (run.exitCode !== 0) return null
    if (action === 'reboot' || !canReadStatus(call)) {
      how = 'agent'
      continue
    }
    const power = await confirmOff(ctx, call, budget, attempts)
    // The device took the off but never answered status: the node may well be off. Another
    // level (or the next try) would power it off a second time in this episode; fencing.py
    // itself reads status before it switches, so only a status read may follow.
    if (power === 'unknown')
      throw new PluginError(
        'fence',
        'UNCONFIRMED',
        `${call.device} accepted ${action} but did not answer status ${ctx.config.confirm_attempts} time(s)`,
        { accepted: true },
      )
    if (power !== 'off') return null
  }
  return how
}

/** True when a device accepted a power-off (or reboot) that no later status of it denied. */
function offAccepted(attempts: AgentRun[]): boolean {
  return attempts.some(
    (r, i) =>
      (r.action === 'off' || r.action === 'reboot') &&
      r.exitCode === 0 &&
      !attempts.slice(i + 1).some((later) => later.device === r.device && later.power === 'on'),
  )
}

/**
 * Status after off, a few times: `off` confirms; `on` means the off did not take (the next
 * level may try); `unknown` means the device never answered.
 */
async function confirmOff(
  ctx: PluginContext<FenceConfig>,
  call: DeviceCall,
  budget: Budget,
  attempts: AgentRun[],
): Promise<PowerState> {
  let seen: PowerState = 'unknown'
  for (let i = 0; i < ctx.config.confirm_attempts; i++) {
    if (i > 0) await budget.sleep(ctx.config.confirm_interval)
    const run = await runAgent(ctx, call, 'status', budget.timeout(call))
    attempts.push(run)
    if (run.power === 'off') return 'off'
    if (run.power === 'on') seen = 'on'
  }
  const last = attempts.at(-1)
  if (last)
    last.message = `status says ${last.power} after off${last.message ? `: ${last.message}` : ''}`
  return seen
}

function canReadStatus(call: DeviceCall): boolean {
  return call.info.actions.has('status')
}

type Budget = ReturnType<typeof createBudget>

/** The step's time and abort signal, shared by every agent call of one action. */
function createBudget(ctx: PluginContext<FenceConfig>) {
  const deadline = Date.now() + ctx.timeoutMs
  const check = () => {
    if (ctx.signal.aborted)
      throw new PluginError('fence', 'ABORTED', 'aborted before the fence finished', {
        cause: ctx.signal.reason,
      })
    if (Date.now() >= deadline)
      throw new PluginError('fence', 'TIMEOUT', `no time left of ${ctx.timeoutMs} ms`)
  }
  return {
    timeout(call: DeviceCall): number {
      check()
      return Math.max(1, Math.min(call.timeoutMs, deadline - Date.now()))
    },
    async sleep(ms: number): Promise<void> {
      check()
      if (ms <= 0) return
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(ms, Math.max(0, deadline - Date.now())))
        ctx.signal.addEventListener('abort', done, { once: true })
        function done() {
          clearTimeout(timer)
          ctx.signal.removeEventListener('abort', done)
          resolve()
        }
      })
      check()
    },
  }
}

function unique(calls: DeviceCall[]): DeviceCall[] {
  const seen = new Set<string>()
  return calls.filter((c) => !seen.has(c.device) && seen.add(c.device))
}

function deviceNames(plan: NodePlan): string[] {
  return unique(plan.levels.flatMap((l) => l.devices)).map((d) => `${d.device}: ${d.info.agent}`)
}
