// Renders `tandem plan` for people: each acting policy, its steps with exact argv, and its guards.
import type { TandemEvent } from '../events/index.ts'
import {
  type GuardVerdict,
  type HealthView,
  type Plan,
  type PlanStep,
  type PolicySkip,
  span,
} from '../policy/index.ts'

export interface PlannedPolicy {
  plan: Plan
  guards: GuardVerdict[]
  forMs?: number
  condition?: string
}

/** The human form of a plan run; every argv shown exactly as the tool would get it. */
export function renderPlan(input: {
  event: TandemEvent
  health: HealthView
  healthSource: string
  planned: PlannedPolicy[]
  skipped: PolicySkip[]
}): string {
  const { event, health, planned, skipped } = input
  const labels = Object.entries(event.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  const nodes = Object.entries(health.nodes)
    .map(([n, s]) => `${n} ${s}`)
    .join(', ')
  const lines = [
    `event   ${event.type} ${event.subject}  (${labels})`,
    `health  ${health.quorate ? 'quorate' : 'NOT quorate'}; ${nodes}  [${input.healthSource}]`,
    '',
  ]
  if (planned.length === 0) lines.push('no policy acts on this event', '')
  for (const p of planned) lines.push(...renderOne(p), '')
  if (skipped.length > 0) {
    lines.push('not acting:')
    for (const s of skipped) lines.push(`  ${s.policy}: ${s.reason}`)
    lines.push('')
  }
  return `${lines.join('\n')}`
}

function renderOne({ plan, guards, forMs, condition }: PlannedPolicy): string[] {
  const lines = [`${plan.policy}  (${plan.file})${plan.dryRun ? '  [dry run]' : ''}`]
  if (condition) lines.push(`  if        ${oneLine(condition)}  → true`)
  if (forMs !== undefined)
    lines.push(
      `  for       ${span(forMs)}: acts only if still true ${span(forMs)} after the first event`,
    )
  lines.push(`  incident  ${plan.incidentKey}`)
  lines.push(`  guards    ${guardSummary(plan)}`)
  if (plan.owners) lines.push(`  owners    ${ownerSummary(plan.owners)}`)
  if (plan.guests) lines.push(`  guests    ${guestSummary(plan.guests)}`)
  const blocking = guards.filter((g) => g.blocks)
  if (blocking.length === 0) lines.push('  blocked   no guard would block it now')
  for (const g of blocking) lines.push(`  BLOCKED   ${g.guard}: ${g.reason}`)
  lines.push('  steps')
  const width = Math.max(...plan.steps.map((s) => s.id.length), 1)
  for (const step of plan.steps) lines.push(...renderStep(step, width))
  for (const s of plan.skipped ?? [])
    lines.push(`    ${s.id.padEnd(width)}  ${s.name}: ${s.reason}`)
  if (plan.notify.channels.length > 0)
    lines.push(`  notify    ${plan.notify.channels.join(', ')} on ${plan.notify.on.join(', ')}`)
  return lines
}

function renderStep(step: PlanStep, width: number): string[] {
  const inputs = Object.entries(step.input).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  )
  const group = step.group ? `  (foreach ${step.group}, ${step.concurrency} at a time)` : ''
  const lines = [
    `    ${step.id.padEnd(width)}  ${step.name}  ${step.uses} ${inputs.join(' ')}${group}`,
  ]
  const pad = ' '.repeat(width + 6)
  if (step.error) lines.push(`${pad}ERROR ${step.error}`)
  if (step.describeError) lines.push(`${pad}ERROR ${step.describeError}`)
  for (const c of step.commands) {
    const where = c.node ? `[${c.node}] ` : ''
    const stdin = c.stdinKeys?.length ? `   (stdin: ${c.stdinKeys.join(', ')})` : ''
    lines.push(
      `${pad}$ ${where}${c.argv.map(shellQuote).join(' ')}${stdin}${c.note ? `   # ${c.note}` : ''}`,
    )
  }
  const retry =
    step.retry.count > 0 ? ` · retry ${step.retry.count}×${span(step.retry.backoffMs)}` : ''
  lines.push(
    `${pad}timeout ${span(step.timeoutMs)}${retry} · on failure ${step.onFailure}${step.verify ? ' · verify' : ''}`,
  )
  return lines
}

/** `db on node3 (cluster), mail on node1 (guess: first preferred, no live data)`. */
function ownerSummary(owners: NonNullable<Plan['owners']>): string {
  const list = Object.entries(owners).map(([service, { node, source }]) =>
    source === 'cluster'
      ? `${service} on ${node || 'no node'} (cluster)`
      : `${service} on ${node} (guess: first preferred, no live data)`,
  )
  return list.join(', ') || 'no cluster services'
}

/** `guest1 on node3 (probe), guest2 on node2 (declared host, no live data)`. */
function guestSummary(guests: NonNullable<Plan['guests']>): string {
  const list = Object.entries(guests).map(([vm, { node, source }]) =>
    source === 'probe'
      ? `${vm} on ${node || 'no node'} (probe)`
      : `${vm} on ${node} (declared host, no live data)`,
  )
  return list.join(', ') || 'no guests'
}

function guardSummary(plan: Plan): string {
  const g = plan.guards
  const parts: string[] = []
  if (g.cooldownMs !== undefined) parts.push(`cooldown ${span(g.cooldownMs)}`)
  if (g.maxRuns) parts.push(`max ${g.maxRuns.count} runs/${span(g.maxRuns.windowMs)}`)
  if (g.maxFences) parts.push(`max ${g.maxFences.count} fences/${span(g.maxFences.windowMs)}`)
  if (g.concurrency !== undefined) parts.push(`${g.concurrency} at a time`)
  if (g.maxDrainedPercent !== undefined)
    parts.push(`at most ${g.maxDrainedPercent}% of a pool drained`)
  if (g.requireQuorum) parts.push('requires quorum')
  if (g.maintenanceAware) parts.push('maintenance-aware')
  if (g.approval === 'required') parts.push('needs approval')
  return parts.join(' · ') || 'none'
}

/** For display only (tandem never runs a shell): quote what a shell would split or expand. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
