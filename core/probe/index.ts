// The probe area's public door: check targets, probe kinds, the prober and the scheduler.

export { createExecProbe, MAX_PLUGIN_OUTPUT } from './exec.ts'
export { BODY_MATCH_BYTES, createHttpProbe, type HttpProbe } from './http.ts'
export {
  type PerfData,
  type PluginOutput,
  parsePerfData,
  parsePluginOutput,
  statusOfExitCode,
} from './nagios.ts'
export { PING_BINARY, probePing } from './ping.ts'
export { createPluginProbe, type PluginContextFactory } from './plugin-probe.ts'
export { createProber, type Prober, type ProberOptions } from './prober.ts'
export { isPassing, type ProbeResult, type ProbeStatus } from './result.ts'
export { runChecksOnce } from './run-once.ts'
export {
  type CheckResult,
  type Scheduler,
  type SchedulerOptions,
  type SchedulerStats,
  startScheduler,
} from './scheduler.ts'
export {
  type CheckTarget,
  isBuiltinKind,
  nodeCheckId,
  planTargets,
  serviceCheckId,
} from './targets.ts'
export { probeTcp } from './tcp.ts'
