// Observing results: each probe result moves its check's counts, flap window, facts and blindness tally.
import { isPassing, type ProbeResult } from '../probe/index.ts'
import type { CheckRecord } from './check-record.ts'
import { type FactChanges, learnFacts } from './fact-rows.ts'
import { countPending, type HealthModel } from './model.ts'
import { storageLabelOfFacts } from './storage-labels.ts'
import type { Transitions } from './transitions.ts'

/** One probe result for the engine (the scheduler's CheckResult is one). */
export interface Observation {
  target: { id: string }
  result: ProbeResult
  at: number
}

/** What a batch of results touched: the checks, the facts, and whether a membership view came. */
export interface TakenResults {
  touched: CheckRecord[]
  facts: FactChanges
  views: boolean
}

/**
 * Feeds each result to its check. Soft steps and flap starts/stops are written to `out` here;
 * verdicts come after, from what this returns.
 */
export function takeResults(
  m: HealthModel,
  batch: readonly Observation[],
  out: Transitions,
  now: number,
): TakenResults {
  const touched: CheckRecord[] = []
  const factChanges: FactChanges = { services: new Set(), vms: new Set(), storage: false }
  let views = false
  for (const { target, result, at } of batch) {
    const record = m.checks.get(target.id)
    if (!record) continue
    if (result.facts || m.facts.knows(target.id))
      learnFacts(m, target.id, result.facts, now, factChanges)
    if (result.facts)
      record.storage = storageLabelOfFacts(m.inventory, result.facts) ?? record.storage
    m.watch.update(record, record.passing, isPassing(result.status))
    const wasPending = record.pendingFailure
    const softKey = record.softKey
    const flap = record.observe(result, at)
    if (wasPending !== record.pendingFailure) countPending(record)
    // Soft steps are stored too (a restart or a serverless tick resumes the count), and so is
    // every result while the flap window holds a change: the history survives exactly.
    if (
      record.historyMoved ||
      (record.softKey !== softKey && record.hard === record.announced && !record.flapping)
    )
      out.checkRow(record)
    if (record.viewsMembership && !m.clusterViews.includes(record)) m.clusterViews.push(record)
    if (flap) out.flapping(record, flap, record.service, m.monitor.flap)
    touched.push(record)
    if (record.viewsMembership) views = true
  }
  return { touched, facts: factChanges, views }
}
