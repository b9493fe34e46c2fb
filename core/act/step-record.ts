// What a step leaves behind, whichever gate or attempt decided it: its outcome and its audit entry.
import type { RunScope } from './engine.ts'
import type { StepRow } from './journal.ts'
import { redactDeep } from './redact.ts'
import type { Refusal, StepStatus } from './types.ts'

export interface StepOutcome {
  status: StepStatus
  detail: string
  /** Set when a guard, the fence rule or an approval stopped the step. */
  refusal?: Refusal
  /** A human must hear about this now (failed fence, recovery refused). */
  escalate?: boolean
}

/** Audit entry for a step, argv from the journaled (already redacted) commands. */
export function audit(
  scope: RunScope,
  row: StepRow,
  decision: string,
  extra: { guard?: string; reason?: string },
) {
  return {
    at: scope.engine.clock.now(),
    actor: scope.actor,
    action: row.uses,
    target: row.target,
    decision,
    guard: extra.guard ?? null,
    reason: extra.reason ? redactDeep(extra.reason, scope.engine.secrets.known()) : null,
    argv: row.commands,
    runId: scope.runId,
    stepId: row.id,
  }
}
