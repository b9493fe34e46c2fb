// The whole extension API: plugins import from here and nothing else in core.
export { z } from 'zod'
export type { Inventory, RealServerRef } from '../inventory/index.ts'
// Building blocks plugins share with the inventory: durations ("5s"), names, secret references,
// key suggestions.
export { Duration, Name, nearestName, SecretRef } from '../inventory/index.ts'
export { defineAction, defineNotifier, definePlugin, defineProbe, PluginError } from './define.ts'
export {
  type ReachableResult,
  runOnFirstReachable,
  toolOutput,
  unreachable,
} from './first-reachable.ts'
export { loadPluginModules } from './load.ts'
export { guardProbe } from './probe-guard.ts'
export { createRegistry, type Registry } from './registry.ts'
export { type CommandRunnerOptions, createCommandRunner } from './runner.ts'
export {
  createLocalRunner,
  DEFAULT_PASS_ENV,
  killGroup,
  type LocalRunnerOptions,
  processStartTicks,
} from './runner-local.ts'
export { createSshRunner, type SshDestination, sshArgv, sshDestination } from './runner-ssh.ts'
export {
  ACTION_SCOPES,
  type ActionScope,
  CALLER_SCOPES,
  type CallerScope,
  holdsScope,
  type Requester,
} from './scopes.ts'
export { quoteForShell, shellCommandLine } from './shell-quote.ts'
export type * from './types.ts'
