// The policy area's public door: policy files → checked policies → matches → plans.
export { CEL_LIMITS, type CelProgram, CelRunError, compileCel } from './cel.ts'
export {
  type CompiledPolicy,
  type CompiledStep,
  compilePolicy,
  type PolicyDeps,
} from './compile.ts'
export { type FileState, loadPolicies, policyFiles, type Rejection } from './directory.ts'
export {
  conditionHolds,
  type Evaluation,
  evaluateEvent,
  type PolicyMatch,
  type PolicySkip,
} from './evaluate.ts'
export {
  type GuardHistory,
  type GuardVerdict,
  previewGuards,
  span,
  storeHistory,
} from './guard-preview.ts'
export { policyJsonSchema } from './json-schema.ts'
export { type MatchChange, matchChanges } from './match-changes.ts'
export { createMatcher, type Matcher } from './matcher.ts'
export type {
  Guards,
  NoticeMoment,
  NotifySpec,
  OnFailure,
  Plan,
  PlanStep,
  SkippedStep,
} from './plan.ts'
export { createPlanContexts, type PlanContextOptions } from './plan-context.ts'
export { incidentKey, type PlanOptions, planMatch } from './planner.ts'
export {
  createPolicySet,
  type DueMatch,
  type MatchOptions,
  type MatchResult,
  type PolicySet,
  type PolicySetOptions,
  type PolicyStatus,
  type ReloadResult,
} from './policy-set.ts'
export { createReadOnlyRunner, isReadOnlyCommand } from './read-only-runner.ts'
export { Policy, type PolicyFile } from './schema.ts'
export { type SimulationOptions, simulate } from './simulate.ts'
export type {
  ActionDifference,
  SimulatedRun,
  SimulationReport,
  SimulationSide,
} from './simulate-report.ts'
export { type PendingTimer, RESOLVES } from './timers.ts'
export {
  everythingUp,
  type GuestHost,
  type HealthView,
  healthView,
  type InventoryView,
  inventoryView,
  liveInventory,
} from './views.ts'
