// Replay reports in an operator's words: "this change would have fenced node3 twice (before: never)".
import type { TandemEvent } from '../events/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import type { GuardVerdict } from './guard-preview.ts'

/** One policy run the replay would have started. */
export interface SimulatedRun {
  at: number
  policy: string
  /** Index in the event list of the event that caused it (a `for:` timer fires later). */
  eventIndex: number
  trigger: string
  incidentKey: string
  outcome: 'run' | 'blocked' | 'approval' | 'deferred'
  blockedBy: GuardVerdict[]
  /** `deferred`: refused by its cooldown, it comes back then (a later entry, if it fired). */
  deferredUntil?: number
  actions: SimulatedAction[]
  /** Steps that could not have been planned (template or input errors). */
  errors: string[]
}

export interface SimulationSide {
  runs: SimulatedRun[]
  /** Conditions that failed to evaluate: broken for real data. */
  conditionErrors: { at: number; policy: string; reason: string }[]
}

/** How often one action on one target would have run, before and after the change. */
export interface ActionDifference {
  label: string
  sentence: string
  baseline: number
  candidate: number
}

export interface SimulationReport {
  from: number
  to: number
  events: number
  baseline?: SimulationSide
  candidate: SimulationSide
  differences: ActionDifference[]
  /** Events on which the two sets decided differently. */
  changedEvents: { index: number; event: TandemEvent; baseline: string; candidate: string }[]
}

export interface SimulatedAction {
  uses: string
  /** `fence.fence node3`: the key differences are counted by. */
  label: string
  /** Past-tense phrase: `fenced node3`. */
  phrase: string
  /** The node this action fences, when it fences. */
  fences?: string
  input: Record<string, unknown>
}

const PHRASES: Record<string, (i: Record<string, string>) => string> = {
  'fence.fence': (i) => `fenced ${i.node}`,
  'fence.unfence': (i) => `unfenced ${i.node}`,
  'lvs.drain': (i) => `drained ${i.node} from ${i.service}`,
  'lvs.restore': (i) => `restored ${i.node} in ${i.service}`,
  'lvs.set_weight': (i) => `set the weight of ${i.node} in ${i.service} to ${i.weight}`,
  'lvs.remove_server': (i) => `removed ${i.node} from ${i.service}`,
  'lvs.add_server': (i) => `added ${i.node} to ${i.service}`,
  'lvs.sorry_server': (i) => `switched the sorry server of ${i.service}`,
  'rgmanager.relocate': (i) => `relocated ${i.service}${i.node ? ` to ${i.node}` : ''}`,
  'rgmanager.restart': (i) => `restarted ${i.service}`,
  'rgmanager.disable': (i) => `disabled ${i.service}`,
  'rgmanager.migrate': (i) => `migrated ${i.service} to ${i.node}`,
  'pacemaker.move': (i) => `moved ${i.resource} to ${i.node}`,
  'pacemaker.standby': (i) => `put ${i.node} in standby`,
  'xen.migrate': (i) => `migrated ${i.vm}${i.to ? ` to ${i.to}` : ''}`,
  'xen.restart_elsewhere': (i) => `restarted ${i.vm} elsewhere`,
  'xen.evacuate': (i) => `evacuated ${i.host}`,
}

const KEYS = ['service', 'resource', 'vm', 'node', 'host', 'to']

/** Names one planned action for counting and for sentences. */
export function describeAction(
  uses: string,
  input: Record<string, unknown>,
  registry: Registry,
): SimulatedAction {
  const strings = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, String(v)]))
  const target = KEYS.filter((k) => input[k] !== undefined)
    .map((k) => strings[k])
    .join('/')
  const label = target ? `${uses} ${target}` : uses
  const phrase = PHRASES[uses]?.(strings) ?? `run ${label}`
  let fences: string | undefined
  try {
    fences = registry.action(uses).action.fences?.(input)
  } catch {
    fences = undefined
  }
  return { uses, label, phrase, fences, input }
}

/** How often each action would have run before and after, where the counts differ. */
export function differences(
  baseline: SimulationSide,
  candidate: SimulationSide,
): ActionDifference[] {
  const count = (side: SimulationSide) => {
    const counts = new Map<string, { n: number; action: SimulatedAction }>()
    for (const run of side.runs)
      if (run.outcome === 'run')
        for (const action of run.actions) {
          const entry = counts.get(action.label) ?? { n: 0, action }
          entry.n++
          counts.set(action.label, entry)
        }
    return counts
  }
  const before = count(baseline)
  const after = count(candidate)
  const out: ActionDifference[] = []
  for (const label of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(label)?.n ?? 0
    const c = after.get(label)?.n ?? 0
    if (b === c) continue
    const action = (after.get(label) ?? before.get(label))!.action
    out.push({ label, baseline: b, candidate: c, sentence: sentence(action.phrase, b, c) })
  }
  return out.sort(
    (x, y) =>
      Math.abs(y.candidate - y.baseline) - Math.abs(x.candidate - x.baseline) ||
      x.label.localeCompare(y.label),
  )
}

function sentence(phrase: string, before: number, after: number): string {
  if (before === 0) return `this change would have ${phrase} ${times(after)} (before: never)`
  if (after === 0) return `this change would no longer have ${phrase} (before: ${times(before)})`
  return `this change would have ${phrase} ${times(after)} instead of ${times(before)}`
}

function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`
}

/** Events on which the two policy sets decided differently. */
export function changedEvents(
  events: TandemEvent[],
  baseline: SimulationSide,
  candidate: SimulationSide,
) {
  const decide = (side: SimulationSide, index: number) =>
    side.runs
      .filter((r) => r.eventIndex === index)
      .map(
        (r) =>
          `${r.policy}: ${r.outcome === 'run' ? `${r.actions.length} action(s)` : r.outcome === 'approval' ? 'waits for approval' : r.outcome === 'deferred' ? `deferred by cooldown until ${new Date(r.deferredUntil ?? 0).toISOString()}` : `blocked by ${r.blockedBy.map((v) => v.guard).join(', ')}`}`,
      )
      .join('; ') || '-'
  const out: SimulationReport['changedEvents'] = []
  events.forEach((event, index) => {
    const b = decide(baseline, index)
    const c = decide(candidate, index)
    if (b !== c) out.push({ index, event, baseline: b, candidate: c })
  })
  return out
}
