// The runtime area's public door: the daemon (and, later, the serverless entry).
export { type Daemon, type DaemonOptions, startDaemon } from './daemon.ts'
