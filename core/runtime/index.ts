// The runtime area's public door: the daemon, leases with fencing tokens, the cron coordinator.
export { type Daemon, type DaemonOptions, startDaemon } from './daemon.ts'
export { buildExecutor, type ExecutorSetup } from './executor-setup.ts'
export { createInstance, type Instance, type InstanceOptions } from './instance.ts'
export { createLeadership, LEADER_LEASE, type Leadership } from './leadership.ts'
export { createLeaseCoordinator } from './run-coordinator.ts'
export {
  heartbeat,
  ownerOf,
  type Sharding,
  type ShardView,
  shardView,
  startSharding,
} from './shards.ts'
export { loadSite, registryFor, type Site } from './site.ts'
