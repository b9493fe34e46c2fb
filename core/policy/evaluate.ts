// One event against the loaded policies: trigger index, then each candidate's `if:` in the sandbox.
import type { TandemEvent } from '../events/index.ts'
import type { CelVars } from './cel.ts'
import type { CompiledPolicy } from './compile.ts'
import type { Matcher } from './matcher.ts'
import { eventView, type HealthView, type InventoryView, liveInventory } from './views.ts'

/** A policy whose trigger and condition accepted an event; `vars` is what its CEL saw. */
export interface PolicyMatch {
  policy: CompiledPolicy
  event: TandemEvent
  vars: CelVars
}

/** A candidate that did not match, and why (`if:` false, or the condition failed to evaluate). */
export interface PolicySkip {
  policy: string
  reason: string
  /** True when the condition could not be evaluated: worth a log line. */
  failed: boolean
}

export interface Evaluation {
  matches: PolicyMatch[]
  skipped: PolicySkip[]
}

/**
 * Finds the policies an event triggers and evaluates their `if:`. Pure: no store, no timers
 * (`for:` is the caller's), so the benchmark, `tandem plan` and `tandem simulate` share it.
 *
 * @example
 * const { matches } = evaluateEvent(matcher, event, { inventory: invView, health })
 */
export function evaluateEvent(
  matcher: Matcher,
  event: TandemEvent,
  views: { inventory: InventoryView; health: HealthView },
): Evaluation {
  const candidates = matcher.candidates(event)
  const out: Evaluation = { matches: [], skipped: [] }
  if (candidates.length === 0) return out
  const vars: CelVars = {
    event: eventView(event),
    // Guests where they run now: after a migration, node.down of the new host moves them.
    inventory: liveInventory(views.inventory, views.health),
    health: views.health,
  }
  // A condition is pure: policies sharing one (compiled once) share its verdict for this event.
  const verdicts = new Map<unknown, ReturnType<typeof conditionHolds>>()
  for (const policy of candidates) {
    let verdict = verdicts.get(policy.condition)
    if (verdict === undefined) {
      verdict = conditionHolds(policy, vars)
      verdicts.set(policy.condition, verdict)
    }
    if (verdict === true) out.matches.push({ policy, event, vars })
    else out.skipped.push({ policy: policy.name, reason: verdict.reason, failed: verdict.failed })
  }
  return out
}

/** The policy's `if:` against these variables: true, or why not. */
export function conditionHolds(
  policy: CompiledPolicy,
  vars: CelVars,
): true | { reason: string; failed: boolean } {
  if (!policy.condition) return true
  try {
    const value = policy.condition.run(vars)
    if (value === true) return true
    return {
      reason: `if: ${policy.condition.display} is ${String(value)}`,
      failed: false,
    }
  } catch (error) {
    return { reason: `if: could not be evaluated: ${(error as Error).message}`, failed: true }
  }
}
