// The act area's public door: the executor, its journal reads, approvals and the daemon interfaces.
export { decideApproval, type RunApproval } from './approvals.ts'
export { createHealthClusterView, fixedClusterView } from './cluster-view.ts'
export { isStaleLeader } from './engine.ts'
export { createExecutor, type ExecuteOptions, type Executor } from './executor.ts'
export { type AuditEntry, auditInsert } from './journal.ts'
export { incidentTimeline, recentIncidents, resolveIncident } from './journal-view.ts'
export {
  applyEvent as applyIncidentEvent,
  closeQuiet as closeQuietIncidents,
  DEFAULT_HOLD_DOWN_MS,
  openWaitingIncident,
  owedResolvedNotices,
  type ResolvedIncident,
  resolvedNoticeQueued,
} from './lifecycle.ts'
export type { ManualOptions } from './manual.ts'
export { createLogNoticeSink } from './notices.ts'
export {
  insertQueuedRun,
  type QueuedOutcome,
  type QueuedRun,
  settleQueuedRun,
} from './queued-runs.ts'
export { redactDeep } from './redact.ts'
export * from './types.ts'
