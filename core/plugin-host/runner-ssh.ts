// Remote commands over the OpenSSH client: batch mode, strict host keys, each argument quoted.
import { TandemError } from '../errors.ts'
import type { Node } from '../inventory/index.ts'
import type { CommandRunner, CommandSpec } from '../plugin/index.ts'
import { shellCommandLine } from './shell-quote.ts'

/** Where and how to reach one node, from its inventory entry. */
export interface SshDestination {
  address: string
  user: string
  port: number
  identity?: string
  knownHosts?: string
  connectTimeoutMs: number
}

/** The ssh destination of an inventory node, or undefined when it runs commands locally. */
export function sshDestination(node: Node): SshDestination | undefined {
  if (!node.ssh) return undefined
  return {
    address: node.address,
    user: node.ssh.user,
    port: node.ssh.port,
    identity: node.ssh.identity,
    knownHosts: node.ssh.known_hosts,
    connectTimeoutMs: node.ssh.connect_timeout,
  }
}

/**
 * The OpenSSH client argv that runs `spec.argv` on `to`. The remote side hands the command
 * line to the user's shell, so each element is single-quoted for a POSIX shell; host keys
 * must already be known (StrictHostKeyChecking=yes), and nothing ever prompts (BatchMode).
 *
 * @example
 * sshArgv('ssh', dest, { argv: ['clustat', '-x'] })
 * // ['ssh', '-o', 'BatchMode=yes', ..., '127.0.1.2', '--', "'clustat' '-x'"]
 */
export function sshArgv(ssh: string, to: SshDestination, spec: CommandSpec): string[] {
  checkDestination(to)
  const options = [
    'BatchMode=yes',
    `ConnectTimeout=${Math.max(1, Math.ceil(to.connectTimeoutMs / 1000))}`,
    'StrictHostKeyChecking=yes',
    ...(to.knownHosts ? [`UserKnownHostsFile=${sshPath(to.knownHosts)}`] : []),
    ...(to.identity ? ['IdentitiesOnly=yes'] : []),
  ]
  const argv = [ssh, ...options.flatMap((o) => ['-o', o])]
  if (to.identity) argv.push('-i', sshPath(to.identity))
  argv.push('-p', String(to.port), '-l', to.user, '-T', to.address, '--')
  argv.push(shellCommandLine([...envPrefix(spec.env), ...spec.argv]))
  return argv
}

/**
 * Runs commands on a remote node through the `local` runner's ssh client process; stdin
 * (fence options, secrets) travels through the encrypted channel, never on a command line.
 *
 * @example
 * const runner = createSshRunner({ ssh: 'ssh', local: createLocalRunner() }, dest)
 */
export function createSshRunner(
  options: { ssh: string; local: CommandRunner },
  to: SshDestination,
): CommandRunner {
  return {
    run: function runOverSsh(spec) {
      // Remote env travels inside the quoted command line (sshd drops most SendEnv).
      const { env: _remoteEnv, ...rest } = spec
      return options.local.run({ ...rest, argv: sshArgv(options.ssh, to, spec) })
    },
  }
}

function envPrefix(env: Record<string, string> | undefined): string[] {
  const entries = Object.entries(env ?? {})
  if (entries.length === 0) return []
  for (const [name] of entries)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new TandemError('COMMAND_FAILED', `[runner] bad environment variable name "${name}"`)
  return ['env', ...entries.map(([name, value]) => `${name}=${value}`)]
}

function checkDestination(to: SshDestination): void {
  // A leading '-' would turn the host or user into an ssh option (-oProxyCommand=...).
  if (!/^[A-Za-z0-9[:][A-Za-z0-9.:[\]-]*$/.test(to.address))
    throw new TandemError('COMMAND_FAILED', `[runner] refusing ssh to address "${to.address}"`)
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(to.user))
    throw new TandemError('COMMAND_FAILED', `[runner] refusing ssh user "${to.user}"`)
}

/** ssh splits option values on spaces and expands `%` tokens: refuse one, escape the other. */
function sshPath(path: string): string {
  if (/\s/.test(path))
    throw new TandemError('COMMAND_FAILED', `[runner] ssh file paths cannot hold spaces: ${path}`)
  return path.replaceAll('%', '%%')
}
