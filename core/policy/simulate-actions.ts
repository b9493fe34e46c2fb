// Actions in an operator's words for replay reports: "fenced node3", "drained node2 from web".
import type { Registry } from '../plugin/index.ts'

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
