// The blind judgement: does the monitor still see, and is the store's monitor row saying so.
import type { HealthModel } from './model.ts'
import type { Transitions } from './transitions.ts'
import { isDownOrUnreachable } from './verdicts.ts'

/**
 * Judges blindness from the failing share (nodes already judged down do not count) and
 * writes the monitor's transition when it differs from the stored row. Returns the change.
 */
export function judgeSight(
  m: HealthModel,
  out: Transitions,
  now: number,
): 'blind' | 'sighted' | undefined {
  const sight = m.watch.evaluate((name) => {
    const node = m.nodes.get(name)
    return node !== undefined && isDownOrUnreachable(node)
  })
  if (sight === 'sighted') m.sightedAt = now
  // Against what the store says, not this instance's last change: the row may have been
  // written by another instance (the shared rows change hands) or left by one that died.
  if (m.watch.blind !== m.announcedBlind) {
    out.monitor(m.watch.blind ? 'blind' : 'sighted', m.watch.payload())
    m.announcedBlind = m.watch.blind
  }
  return sight
}
