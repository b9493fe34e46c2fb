// The plugin host's door, apart from the extension API so plugin authors see only core/plugin: the registry, module loading, command runners (local, ssh) and caller scopes.
export { loadPluginModules } from './load.ts'
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
export { CALLER_SCOPES, type CallerScope, holdsScope, type Requester } from './scopes.ts'
export { quoteForShell, shellCommandLine } from './shell-quote.ts'
