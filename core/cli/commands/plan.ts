// `tandem plan`: what the policies would do for one event, exact argv included, changing nothing.
import { TandemError } from '../../errors.ts'
import {
  EVENT_TYPES,
  type EventType,
  type HealthReading,
  type TandemEvent,
} from '../../events/index.ts'
import { DEFAULT_CONFIG_FILE, type Inventory, nearestName } from '../../inventory/index.ts'
import { createLogger } from '../../log.ts'
import type { PluginDefinition } from '../../plugin/index.ts'
import { createCommandRunner } from '../../plugin-host/index.ts'
import {
  createMatcher,
  createPlanContexts,
  createReadOnlyRunner,
  evaluateEvent,
  everythingUp,
  type GuardHistory,
  healthView,
  inventoryView,
  planMatch,
  previewGuards,
  storeHistory,
} from '../../policy/index.ts'
import { healthStates, openStore } from '../../store/index.ts'
import { type Command, parseOptions } from '../command.ts'
import { type PlannedPolicy, renderPlan } from '../plan-format.ts'
import { DEFAULT_POLICIES_DIR, loadPolicyWorld } from '../policy-world.ts'

/** The plan command over a set of plugins (tests pass their own; the CLI the built-in ones). */
export function createPlanCommand(plugins?: readonly PluginDefinition[]): Command {
  return {
    name: 'plan',
    summary: 'show what the policies would do for an event: steps, argv, guards; runs nothing',
    usage:
      'tandem plan --event TYPE [--node N] [--service S] [--vm V] [--check C] [--subject X] [--label K=V]... [--policy NAME] [--store URL] [--config FILE] [--policies DIR] [--json]',
    async run(args, io) {
      const { values } = parseOptions(args, {
        event: { type: 'string' },
        node: { type: 'string' },
        service: { type: 'string' },
        vm: { type: 'string' },
        check: { type: 'string' },
        subject: { type: 'string' },
        label: { type: 'string', multiple: true, default: [] },
        policy: { type: 'string' },
        store: { type: 'string' },
        config: { type: 'string', default: DEFAULT_CONFIG_FILE },
        policies: { type: 'string', default: DEFAULT_POLICIES_DIR },
        json: { type: 'boolean', default: false },
      })
      const world = await loadPolicyWorld({
        config: values.config,
        policies: values.policies,
        plugins,
      })
      const event = buildEvent(values, world.inventory)
      const store = values.store ? await openStore(values.store, { migrate: false }) : undefined
      try {
        const rows = store
          ? await store.db.select().from(healthStates)
          : impliedHealth(event, world.inventory)
        const health = healthView(rows, world.inventory)
        const log = createLogger({ level: 'silent' })
        const context = createPlanContexts({
          ...world,
          runner: createReadOnlyRunner(createCommandRunner({ inventory: world.inventory, log })),
          log,
        })
        const { matches, skipped } = evaluateEvent(createMatcher(world.policies), event, {
          inventory: inventoryView(world.inventory),
          health,
        })
        const history = store ? storeHistory(store) : emptyHistory
        const planned: PlannedPolicy[] = []
        for (const match of matches) {
          const plan = await planMatch(match, { inventory: world.inventory, context })
          const guards = await previewGuards(plan, {
            history,
            health,
            now: event.at,
            registry: world.registry,
            inventory: world.inventory,
          })
          planned.push({
            plan,
            guards,
            forMs: match.policy.forMs,
            condition: match.policy.condition?.source,
          })
        }
        const healthSource = store
          ? `from ${values.store}`
          : 'implied by the event (use --store for real health)'
        if (values.json)
          io.out(
            `${JSON.stringify({ event, health: { ...health, source: healthSource }, plans: planned, skipped }, null, 2)}\n`,
          )
        else io.out(renderPlan({ event, health, healthSource, planned, skipped }))
        return planned.some((p) => p.plan.steps.some((s) => s.error || s.describeError)) ? 1 : 0
      } finally {
        store?.close()
      }
    },
  }
}

export const planCommand: Command = createPlanCommand()

interface EventOptions {
  event?: string
  node?: string
  service?: string
  vm?: string
  check?: string
  subject?: string
  label: string[]
  policy?: string
}

/** The event `tandem plan` pretends happened, labelled like the health area labels it. */
function buildEvent(values: EventOptions, inventory: Inventory): TandemEvent {
  const type = values.event
  if (!type) throw usage('--event is required, e.g. --event node.down --node node2')
  if (!(EVENT_TYPES as readonly string[]).includes(type)) {
    const near = nearestName(type, EVENT_TYPES)
    throw usage(`unknown event type "${type}"${near ? `; did you mean "${near}"?` : ''}`)
  }
  const labels: Record<string, string> = {}
  for (const pair of values.label) {
    const at = pair.indexOf('=')
    if (at < 1) throw usage(`--label expects KEY=VALUE, got "${pair}"`)
    labels[pair.slice(0, at)] = pair.slice(at + 1)
  }
  for (const key of ['node', 'service', 'vm', 'check'] as const)
    if (values[key]) labels[key] = values[key]!
  if (values.policy) labels.policy = values.policy
  labels.severity ??= /\.(down|failed|unreachable)$|^alert\.received$/.test(type)
    ? 'critical'
    : 'info'
  const subject = values.subject ?? impliedSubject(type as EventType, values)
  if (!subject)
    throw usage(`name what the ${type} event is about: --subject, or --node/--service/--vm`)
  for (const [key, kind] of [
    ['node', 'node'],
    ['service', 'service'],
    ['vm', 'vm'],
  ] as const) {
    const name = labels[key]
    if (name && !inventory[kind](name)) {
      const known = inventory.config[`${kind}s` as 'nodes' | 'services' | 'vms'].map((x) => x.name)
      const near = nearestName(name, known)
      throw usage(
        `no ${kind} named "${name}" in the inventory${near ? `; did you mean "${near}"?` : ''}`,
      )
    }
  }
  return { type: type as EventType, subject, at: Date.now(), labels, payload: {} }
}

function impliedSubject(type: EventType, v: EventOptions): string | undefined {
  if (type === 'manual' || type === 'schedule') return v.policy
  if (type.startsWith('node.')) return v.node
  if (type.startsWith('service.')) return v.service
  if (type.startsWith('vm.')) return v.vm
  if (type.startsWith('check.') && v.check)
    return v.service ? `${v.service}/${v.node ?? ''}/${v.check}` : `node/${v.node ?? ''}/${v.check}`
  return undefined
}

/** Without a store: everything up, except what the event itself says is not. */
function impliedHealth(event: TandemEvent, inventory: Inventory): HealthReading[] {
  const rows = everythingUp(inventory)
  const [family = '', change = ''] = event.type.split('.')
  const state = { down: 'down', unreachable: 'unreachable', degraded: 'degraded', failed: 'down' }[
    change
  ]
  if (state) rows.push({ target: event.subject, kind: family, state })
  return rows
}

const emptyHistory: GuardHistory = {
  runs: async () => [],
  fences: async () => [],
  maintenance: async () => [],
}

function usage(message: string): TandemError {
  return new TandemError('BAD_REQUEST', message)
}
