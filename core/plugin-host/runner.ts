// The command runner plugins get: local for nodes without `ssh`, the OpenSSH client for the rest.
import { TandemError } from '../errors.ts'
import type { Inventory } from '../inventory/index.ts'
import type { CommandRunner } from '../plugin/index.ts'
import { createLocalRunner, type LocalRunnerOptions } from './runner-local.ts'
import { createSshRunner, sshDestination } from './runner-ssh.ts'

export interface CommandRunnerOptions extends LocalRunnerOptions {
  inventory: Inventory
  /** Path of the OpenSSH client (the lab ships test/lab/bin/ssh). Default `ssh`. */
  ssh?: string
}

/**
 * Routes each command by `spec.node`: no node, or a node without an `ssh` block, runs
 * here; any other node runs over ssh with the node's user, port, key and known_hosts.
 *
 * @example
 * const runner = createCommandRunner({ inventory, ssh: '/usr/bin/ssh' })
 * await runner.run({ argv: ['clustat', '-x'], node: 'node2' })
 */
export function createCommandRunner(options: CommandRunnerOptions): CommandRunner {
  const local = createLocalRunner(options)
  const ssh = options.ssh ?? 'ssh'
  return {
    run: function runCommand(spec) {
      if (spec.node === undefined) return local.run(spec)
      const node = options.inventory.node(spec.node)
      if (!node)
        return Promise.reject(
          new TandemError('COMMAND_FAILED', `[runner] unknown node "${spec.node}"`),
        )
      const to = sshDestination(node)
      return to ? createSshRunner({ ssh, local }, to).run(spec) : local.run(spec)
    },
  }
}
