// The health area's public door: the engine, the monitoring loop and stored health state.

export {
  createHealthEngine,
  type HealthChanges,
  type HealthEngine,
  type HealthEngineOptions,
  type Observation,
} from './engine.ts'
export { type MembershipView, membershipOf } from './membership.ts'
export { type Monitoring, type MonitoringOptions, startMonitoring } from './monitoring.ts'
export { createRecorder, isMonitorBlind, loadHealthRows, type Recorder } from './recorder.ts'
export { type HealthRow, healthTarget } from './rows.ts'
export { CLUSTER_WIDE, planShards, type ShardOwner, type ShardPlan } from './shard-plan.ts'
export type { CheckView, HealthSnapshot, NodeView, ServiceView } from './snapshot.ts'
export { type TickOptions, tick } from './tick.ts'
