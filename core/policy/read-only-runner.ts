// The runner `tandem plan` gives plugins: it runs known read-only queries and refuses everything else.
import { basename } from 'node:path'
import { TandemError } from '../errors.ts'
import type { CommandRunner, CommandSpec } from '../plugin/index.ts'

/**
 * Wraps a runner so that only commands known not to change anything pass (`ipvsadm -L`,
 * `clustat`, `crm_mon`, `xl list`, `virsh dominfo`, a fence agent's `status` …). A `describe`
 * may read state; a plan never changes it, whatever a plugin asks for.
 *
 * @example
 * const runner = createReadOnlyRunner(createCommandRunner({ inventory }))
 * await runner.run({ argv: ['ipvsadm', '-L', '-n'] })
 */
export function createReadOnlyRunner(inner: CommandRunner): CommandRunner {
  return {
    async run(spec) {
      if (!isReadOnlyCommand(spec))
        throw new TandemError(
          'ACTION_BLOCKED',
          `[plan] refused to run ${JSON.stringify(spec.argv)}: a plan only reads, and this command could change the cluster`,
        )
      return inner.run(spec)
    },
  }
}

/** True for the query forms of the cluster tools tandem's plugins drive. */
export function isReadOnlyCommand(spec: CommandSpec): boolean {
  const [command = '', ...args] = spec.argv
  const tool = basename(command)
  const has = (...flags: string[]) =>
    args.some(
      (a) => flags.includes(a) || flags.some((f) => f.startsWith('--') && a.startsWith(`${f}=`)),
    )
  if (tool.startsWith('fence_')) return fenceQuery(args, spec.stdin)
  switch (tool) {
    case 'clustat':
    case 'crm_mon':
      return true
    case 'ipvsadm':
      return ipvsadmQuery(args)
    case 'cman_tool':
      return ['status', 'nodes', 'services'].includes(args[0] ?? '')
    case 'corosync-quorumtool':
      return args.every((a) => ['-s', '-l', '-p', '-i', '-o', '-H'].includes(a))
    case 'crm_resource':
      return (
        has(
          '--locate',
          '-W',
          '--list',
          '-L',
          '--list-raw',
          '-l',
          '--query-xml',
          '-q',
          '--why',
          '-Y',
        ) && !has(...CRM_RESOURCE_CHANGES)
      )
    case 'crm_node':
      return has(
        '-l',
        '--list',
        '-p',
        '--partition',
        '-q',
        '--quorum',
        '-n',
        '--name',
        '-i',
        '--cluster-id',
      )
    case 'crm_attribute':
      return has('-G', '--query') && !has('-v', '--update', '-D', '--delete')
    case 'cibadmin':
      return (
        has('-Q', '--query') &&
        args.every(
          (a) => !/^(-[CMRDEBr]|--(create|modify|replace|delete|erase|bump|replace))/.test(a),
        )
      )
    case 'stonith_admin':
      return (
        has(
          '-l',
          '--list',
          '-L',
          '--list-registered',
          '-I',
          '--list-installed',
          '-Q',
          '--query',
          '-H',
          '--history',
        ) && !has(...STONITH_CHANGES)
      )
    case 'xl':
    case 'xm':
      return ['list', 'info', 'vcpu-list', 'uptime', 'list-vm'].includes(args[0] ?? '')
    case 'virsh':
      return VIRSH_QUERIES.includes(virshCommand(args) ?? '')
    default:
      return false
  }
}

/** ipvsadm (popt) bundles short options: `-Ln` is `-L -n`, `-LZ` is `-L -Z`. */
function ipvsadmQuery(args: readonly string[]): boolean {
  const flags = args.flatMap((a) =>
    /^-[A-Za-z]{2,}$/.test(a) ? [...a.slice(1)].map((ch) => `-${ch}`) : [a],
  )
  const has = (...names: string[]) => flags.some((f) => names.includes(f))
  return has('-L', '-l', '--list', '-S', '--save') && !has(...IPVSADM_CHANGES)
}

const IPVSADM_CHANGES = [
  '-A',
  '--add-service',
  '-E',
  '--edit-service',
  '-D',
  '--delete-service',
  '-C',
  '--clear',
  '-R',
  '--restore',
  '-a',
  '--add-server',
  '-e',
  '--edit-server',
  '-d',
  '--delete-server',
  '-Z',
  '--zero',
  '--set',
  '--start-daemon',
  '--stop-daemon',
]
const CRM_RESOURCE_CHANGES = [
  '--move',
  '-M',
  '--ban',
  '-B',
  '--clear',
  '-U',
  '--cleanup',
  '-C',
  '--refresh',
  '-R',
  '--restart',
  '--force-start',
  '--force-stop',
  '--force-promote',
  '--force-demote',
  '--set-parameter',
  '-p',
  '--delete-parameter',
  '-d',
  '--delete',
  '-D',
  '--fail',
  '-F',
  '--wait',
]
const STONITH_CHANGES = [
  '-F',
  '--fence',
  '-U',
  '--unfence',
  '-B',
  '--reboot',
  '-C',
  '--confirm',
  '-R',
  '--register',
  '-D',
  '--deregister',
  '-r',
  '--register-level',
  '-d',
  '--deregister-level',
  '--cleanup',
]
const VIRSH_QUERIES = [
  'list',
  'dominfo',
  'domstate',
  'domid',
  'domname',
  'domuuid',
  'dumpxml',
  'nodeinfo',
  'capabilities',
  'hostname',
  'uri',
  'version',
  'domjobinfo',
]
const FENCE_QUERIES = ['status', 'monitor', 'list', 'list-status', 'metadata', 'validate-all']

function fenceQuery(args: string[], stdin: string | undefined): boolean {
  const actions: string[] = []
  for (const line of (stdin ?? '').split('\n')) {
    const match = /^\s*(action|option)\s*=\s*(.*?)\s*$/.exec(line)
    if (match) actions.push(match[2]!)
  }
  args.forEach((arg, i) => {
    if (arg === '-o' || arg === '--action') actions.push(args[i + 1] ?? '')
    else if (arg.startsWith('--action=')) actions.push(arg.slice(9))
    else if (/^-o\S/.test(arg)) actions.push(arg.slice(2))
  })
  // An agent's default action is reboot: no action named means it would power-cycle.
  return actions.length > 0 && actions.every((a) => FENCE_QUERIES.includes(a))
}

function virshCommand(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '-c' || arg === '--connect') i++
    else if (!arg.startsWith('-')) return arg
  }
  return undefined
}
