// @ts-check
// One ipvsadm invocation against a table: dispatches the parsed command, collects stdout/stderr,
// and returns the exit status the real tool would (restore included, line by line).
import { parseCommand, validateCommand } from './command.mjs'
import { Exit, tryHelp } from './exit.mjs'
import * as kernel from './kernel.mjs'
import { listAll, listConnections, listDaemons, listService, listTimeout } from './listing.mjs'
import { readTable, updateTable } from './table.mjs'
import { USAGE, VERSION } from './usage.mjs'

/** What libipvs says for each errno, per operation (ipvs_strerror), then generically. */
const MESSAGES = /** @type {Record<string, Record<string, string>>} */ ({
  'add-service': {
    EEXIST: 'Service already exists',
    ENOENT: 'Scheduler or persistence engine not found',
  },
  'edit-service': { ESRCH: 'No such service', ENOENT: 'Scheduler or persistence engine not found' },
  'delete-service': { ESRCH: 'No such service' },
  zero: { ESRCH: 'No such service' },
  'add-server': { ESRCH: 'Service not defined', EEXIST: 'Destination already exists' },
  'edit-server': { ESRCH: 'Service not defined', ENOENT: 'No such destination' },
  'delete-server': { ESRCH: 'Service not defined', ENOENT: 'No such destination' },
  'start-daemon': { EEXIST: 'Daemon has already run' },
  'stop-daemon': { ESRCH: 'No daemon is running' },
  '*': {
    EINVAL: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
    ERANGE: 'Numerical result out of range',
    ENODEV: 'No such device',
  },
})

/** Commands that change the table (restore may): they run under the world lock. */
const CHANGES = /^-([AEDCZaedR]|-(add|edit|delete|clear|zero|restore|set|start|stop))/

/**
 * Runs ipvsadm with `argv` (without argv[0]) against the current node's simulated table.
 * @param {string[]} argv
 * @param {{ stdin?: () => string, node?: string }} [io] stdin is read only when restoring
 * @returns {{ code: number, stdout: string, stderr: string }}
 */
export function runIpvsadm(argv, io = {}) {
  const output = { stdout: '', stderr: '' }
  // An early exit keeps what already happened (restore applies line by line): catch it inside
  // the lock so the table is still written, and report it afterwards.
  const execute = (/** @type {kernel.Table} */ table) => {
    try {
      if (argv.length === 0) {
        output.stdout += listAll(table, new Set())
        return 0
      }
      return processOptions(argv, table, output, io.stdin ?? (() => ''), false)
    } catch (error) {
      if (error instanceof Exit) return error
      throw error
    }
  }
  const changes = CHANGES.test(argv[0] ?? '') || argv[0] === '--set'
  const result = changes ? updateTable(execute, io.node) : execute(readTable(io.node))
  if (result instanceof Exit)
    return { code: result.code, stdout: output.stdout, stderr: output.stderr + result.stderr }
  return { code: result === 0 ? 0 : 255, ...output }
}

/**
 * process_options(): 0 on success, -1 when the kernel or popt said no; throws Exit otherwise.
 * @param {string[]} argv @param {kernel.Table} table
 * @param {{ stdout: string, stderr: string }} out @param {() => string} stdin @param {boolean} restoring
 */
function processOptions(argv, table, out, stdin, restoring) {
  const parsed = parseCommand(argv)
  if ('poptError' in parsed) {
    out.stderr += parsed.poptError
    return -1
  }
  if (parsed.cmd === 'h' || parsed.cmd === 'v') {
    out.stdout += parsed.cmd === 'h' ? VERSION + USAGE : VERSION
    throw new Exit(0, '')
  }
  validateCommand(parsed)
  if (parsed.cmd === 'list') {
    out.stdout += list(table, parsed)
    return 0
  }
  if (parsed.cmd === 'save') {
    out.stdout += listAll(table, new Set([...parsed.format, 'rule']))
    return 0
  }
  if (parsed.cmd === 'restore') {
    if (restoring) throw tryHelp()
    let result = 0
    for (const line of stdin().split('\n')) {
      const words = line.split(/[ \t\r]+/).filter((w) => w !== '' && w !== 'ipvsadm')
      if (words.length > 0) result = processOptions(words, table, out, stdin, true)
    }
    return result
  }
  const errno = change(table, parsed)
  if (!errno) return 0
  out.stderr += `${MESSAGES[parsed.cmd]?.[errno] ?? MESSAGES['*']?.[errno] ?? errno}\n`
  return -1
}

/** @param {kernel.Table} table @param {import('./command.mjs').CommandEntry} entry */
function list(table, entry) {
  const { options, format, svc } = entry
  if (options.has('connection')) return listConnections(table, format)
  if (options.has('service-address')) {
    const service = kernel.findService(table, svc)
    if (!service) throw new Exit(1, 'No such service\n')
    return listService(table, service, format)
  }
  if (options.has('timeout')) return listTimeout(table)
  if (options.has('daemon')) return listDaemons(table)
  return listAll(table, format)
}

/** @param {kernel.Table} table @param {import('./command.mjs').CommandEntry} entry */
function change(table, { cmd, svc, dest, options, timeouts, daemon }) {
  switch (cmd) {
    case 'flush':
      return kernel.flush(table)
    case 'add-service':
      return kernel.addService(table, svc)
    case 'edit-service':
      return kernel.editService(table, svc)
    case 'delete-service':
      return kernel.deleteService(table, svc)
    case 'zero':
      return kernel.zero(table, options.has('service-address') ? svc : undefined)
    case 'add-server':
      return kernel.addDest(table, svc, dest)
    case 'edit-server':
      return kernel.editDest(table, svc, dest)
    case 'delete-server':
      return kernel.deleteDest(table, svc, dest)
    case 'set':
      return kernel.setTimeouts(table, timeouts)
    case 'start-daemon':
      return kernel.startDaemon(table, { ...daemon, ifname: daemon.ifname || 'eth0' })
    case 'stop-daemon':
      return kernel.stopDaemon(table, daemon)
    default:
      return undefined
  }
}
