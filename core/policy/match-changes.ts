// Which policies would react differently after an inventory change: the failures tandem can raise
// for every target of either inventory, evaluated and planned against each side, then compared.
import type { EventType, TandemEvent } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { CompiledPolicy } from './compile.ts'
import { evaluateEvent } from './evaluate.ts'
import { createMatcher } from './matcher.ts'
import { planMatch } from './planner.ts'
import { everythingUp, healthView, inventoryView } from './views.ts'

/** One policy that would answer one failure differently with the new inventory. */
export interface MatchChange {
  policy: string
  /** The failure, as `tandem plan` would be asked about it: `node.down node3`. */
  event: string
  /** `added`: it matches only with the new inventory; `removed`: only with the old one. */
  change: 'added' | 'removed' | 'plan'
  /** Its steps (`uses key=value …`), with the old and the new inventory; empty when no match. */
  before: string[]
  after: string[]
}

/**
 * For each failure tandem can raise about a target of either inventory (a node down, a service
 * down, degraded or stopped, each check failing, a guest down), which policies match with one
 * inventory and not the other, and which match with both but would plan other steps. Each side
 * is judged as `tandem plan` judges it without a store: everything up but the event's subject.
 * The policies' own matcher, condition and planner decide, so no rule is restated here.
 *
 * @example
 * await matchChanges({ before, after, policies })
 * // [{ policy: 'node-down-failover', event: 'node.down node3', change: 'added', before: [], after: [...] }]
 */
export async function matchChanges(options: {
  before: Inventory
  after: Inventory
  policies: readonly CompiledPolicy[]
}): Promise<MatchChange[]> {
  const { before, after } = options
  const matcher = createMatcher(options.policies)
  const events = new Map<string, TandemEvent>()
  for (const event of [...failuresOf(before), ...failuresOf(after)])
    events.set(`${event.type} ${event.subject}`, event)
  const out: MatchChange[] = []
  for (const [name, event] of events) {
    const old = await plansFor(matcher, event, before)
    const now = await plansFor(matcher, event, after)
    for (const policy of new Set([...old.keys(), ...now.keys()])) {
      const was = old.get(policy)
      const is = now.get(policy)
      const change = !was ? 'added' : !is ? 'removed' : sameSteps(was, is) ? undefined : 'plan'
      if (change) out.push({ policy, event: name, change, before: was ?? [], after: is ?? [] })
    }
  }
  return out.sort((a, b) => a.policy.localeCompare(b.policy) || a.event.localeCompare(b.event))
}

/** Each matching policy's steps for this event against one inventory. */
async function plansFor(
  matcher: ReturnType<typeof createMatcher>,
  event: TandemEvent,
  inventory: Inventory,
): Promise<Map<string, string[]>> {
  const plans = new Map<string, string[]>()
  // A failure about a target this inventory does not have cannot happen with it.
  if (!knows(inventory, event)) return plans
  const [family = '', change = ''] = event.type.split('.')
  const state = change === 'degraded' ? 'degraded' : 'down'
  const rows = [...everythingUp(inventory), { target: event.subject, kind: family, state }]
  const health = healthView(rows, inventory)
  const { matches } = evaluateEvent(matcher, event, { inventory: inventoryView(inventory), health })
  for (const match of matches) {
    const plan = await planMatch(match, { inventory })
    plans.set(
      match.policy.name,
      plan.steps.map((s) =>
        s.error ? `${s.uses}: ${s.error}` : `${s.uses} ${shownInput(s.input)}`,
      ),
    )
  }
  return plans
}

/** The failures the health area raises, labelled as it labels them. */
function failuresOf(inventory: Inventory): TandemEvent[] {
  const { config } = inventory
  const events: TandemEvent[] = []
  const add = (type: EventType, subject: string, labels: Record<string, string>) =>
    events.push({ type, subject, at: 0, labels: { severity: 'critical', ...labels }, payload: {} })
  for (const node of config.nodes) {
    add('node.down', node.name, { node: node.name })
    for (const check of node.checks)
      add('check.failed', `node/${node.name}/${check.name}`, {
        node: node.name,
        check: check.name,
      })
  }
  for (const service of config.services) {
    add('service.down', service.name, { service: service.name })
    add('service.degraded', service.name, { service: service.name, severity: 'warning' })
    const owner = service.cluster?.preferred?.[0]
    if (service.cluster)
      add('service.stopped', service.name, {
        service: service.name,
        ...(owner ? { node: owner } : {}),
      })
    for (const check of service.checks)
      for (const server of service.real_servers)
        add('check.failed', `${service.name}/${server.node}/${check.name}`, {
          node: server.node,
          check: check.name,
          service: service.name,
        })
  }
  for (const vm of config.vms) add('vm.down', vm.name, { vm: vm.name, node: vm.host })
  return events
}

function knows(inventory: Inventory, event: TandemEvent): boolean {
  const { node, service, vm } = event.labels
  if (node && !inventory.node(node)) return false
  if (service && !inventory.service(service)) return false
  if (vm && !inventory.vm(vm)) return false
  if (event.type !== 'check.failed') return true
  const [owner, on, check] = event.subject.split('/')
  if (owner === 'node')
    return inventory.node(on ?? '')?.checks.some((c) => c.name === check) ?? false
  const entry = inventory.service(owner ?? '')
  return (
    (entry?.checks.some((c) => c.name === check) ?? false) &&
    (entry?.real_servers.some((r) => r.node === on) ?? false)
  )
}

function shownInput(input: Record<string, unknown>): string {
  return Object.entries(input)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ')
}

function sameSteps(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i])
}
