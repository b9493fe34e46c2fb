// @ts-check
// Lab xm (Xen 3.x/4.0 with xend): list, info, create, destroy and migrate. Formats and messages
// follow tools/python/xen/xm of RELEASE-4.1.0: xm_brief_list's columns, `xm info` as
// "%-23s: value", err()'s "Error: ..." with the command usage after it, exit 3 for a domain
// that does not exist, xend's "can't connect: [Errno ...]" and balloon.py's memory refusal.
import { findNode, sshFailure } from '../reach.mjs'
import { readWorld, updateWorld } from '../world.mjs'
import {
  cpuSeconds,
  freeMemory,
  guestsOn,
  instanceOn,
  localHost,
  migrateGuest,
  runsOn,
  startOn,
  stateFlags,
  stopOn,
  xenOf,
} from '../xen.mjs'

const USAGE = {
  migrate:
    'Usage: xm migrate <Domain> <Host>\n\nMigrate a domain to another machine.\n\nOptions:\n\n' +
    '-h, --help           Print this help.\n' +
    '-l, --live           Use live migration.\n' +
    '-p=portnum, --port=portnum\n                     Use specified port for migration.\n' +
    '-n=nodenum, --node=nodenum\n                     Use specified NUMA node on target.\n' +
    '-s, --ssl            Use ssl connection for migration.\n' +
    '-c, --change_home_server\n                     Change home server for managed domains.\n\n',
}
const NO_MEMORY = 'Not enough memory is available, and dom0 cannot be shrunk any further'

const [command = '', ...args] = process.argv.slice(2)
const world = readWorld()
const host = localHost(world)
if (!host) {
  process.stderr.write(
    'Error: Unable to connect to xend: No such file or directory. Is xend running?\n',
  )
  process.exit(1)
}
const here = /** @type {string} */ (host)
const positional = args.filter((a) => !a.startsWith('-'))

if (command === 'list') list(positional[0])
else if (command === 'info') info()
else if (command === 'create') create(positional[0] ?? '')
else if (command === 'destroy') destroy(positional[0] ?? '')
else if (command === 'migrate') migrate(positional[0] ?? '', positional[1] ?? '')
else {
  process.stderr.write(`Error: Subcommand ${command} not found!\n`)
  process.exit(1)
}

/** xend's XendInvalidDomain fault: exit status 3. @param {string} name */
function findDomain(name) {
  const dom = xenOf(world).domains[name]
  const instance = dom && instanceOn(world, dom, here)
  if (!instance) {
    process.stderr.write(`Error: Domain '${name}' does not exist.\n`)
    process.exit(3)
  }
  return instance
}

/** @param {string | undefined} only */
function list(only) {
  const spec = xenOf(world).hosts[here]
  const rows = only ? [[only, findDomain(only)]] : guestsOn(world, here)
  let out = `${'Name'.padEnd(40)} ${'ID'.padStart(5)} ${'Mem'.padStart(5)} ${'VCPUs'.padStart(5)} ${'State'.padStart(10)} ${'Time(s)'.padStart(9)}\n`
  if (!only) out += row('Domain-0', '0', spec?.dom0 ?? 0, spec?.cpus ?? 4, 'r-----', 2711.6)
  for (const [name, dom] of /** @type {[string, import('../xen.mjs').XenDomain][]} */ (rows))
    out += row(
      name,
      String(dom.id ?? ''),
      dom.memory,
      dom.vcpus ?? 1,
      stateFlags(dom),
      cpuSeconds(dom),
    )
  process.stdout.write(out)
}

/**
 * @param {string} name @param {string} id @param {number} mem @param {number} vcpus
 * @param {string} state @param {number} seconds
 */
function row(name, id, mem, vcpus, state, seconds) {
  return `${name.padEnd(40)} ${id.padStart(5)} ${String(mem).padStart(5)} ${String(vcpus).padStart(5)} ${state.padStart(10)} ${seconds.toFixed(1).padStart(8)}\n`
}

function info() {
  const spec = xenOf(world).hosts[here] ?? { memory: 0 }
  const cpus = spec.cpus ?? 4
  const lines = [
    ['host', here],
    ['release', '2.6.18-419.el5xen'],
    ['version', '#1 SMP Fri Feb 24 22:52:15 UTC 2017'],
    ['machine', 'x86_64'],
    ['nr_cpus', cpus],
    ['nr_nodes', 1],
    ['cores_per_socket', cpus],
    ['threads_per_core', 1],
    ['cpu_mhz', spec.mhz ?? 2400],
    ['hw_caps', 'bfebfbff:20100800:00000000:00000940:0000e3bd:00000000:00000001:00000000'],
    ['virt_caps', 'hvm'],
    ['total_memory', spec.memory],
    ['free_memory', freeMemory(world, here)],
    ['node_to_cpu', `node0:0-${cpus - 1}`],
    ['node_to_memory', `node0:${freeMemory(world, here)}`],
    ['xen_major', 3],
    ['xen_minor', 1],
    ['xen_extra', '.2-419.el5'],
    ['xen_caps', 'xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64'],
    ['xen_pagesize', 4096],
    ['platform_params', 'virt_start=0xffff800000000000'],
    ['xen_changeset', 'unavailable'],
    ['cc_compiler', 'gcc version 4.1.2 20080704 (Red Hat 4.1.2-55)'],
    ['cc_compile_by', 'mockbuild'],
    ['cc_compile_domain', 'centos.org'],
    ['cc_compile_date', 'Fri Feb 24 22:25:05 UTC 2017'],
    ['xend_config_format', 2],
  ]
  process.stdout.write(lines.map(([k, v]) => `${String(k).padEnd(23)}: ${v}\n`).join(''))
}

/** @param {string} cfg */
function create(cfg) {
  const entry = Object.entries(xenOf(world).domains).find(
    ([name, d]) => (d.cfg ?? `/etc/xen/${name}.cfg`) === cfg,
  )
  if (!entry) {
    process.stderr.write(`Error: Unable to open config file: ${cfg}\n`)
    process.exit(1)
  }
  const [name, dom] = entry
  process.stdout.write(`Using config file "${cfg}".\n`)
  if (runsOn(world, dom, here)) {
    process.stderr.write(`Error: Domain '${name}' already exists with ID '${dom.id}'\n`)
    process.exit(1)
  }
  if (freeMemory(world, here) < dom.memory) {
    process.stderr.write(`Error: ${NO_MEMORY}\n`)
    process.exit(1)
  }
  const started = updateWorld((w) => startOn(w, name, here, 'booted'))
  process.stdout.write(`Started domain ${name} (id=${started.id})\n`)
}

/** @param {string} name */
function destroy(name) {
  findDomain(name)
  updateWorld((w) => stopOn(w, name, here))
}

/**
 * xend relocates over its relocation port (8002): an unreachable target is a socket error,
 * a target without memory answers with balloon.py's refusal, marked "(from <host>)".
 * @param {string} name @param {string} target
 */
function migrate(name, target) {
  const dom = findDomain(name)
  const failure = sshFailure(world, target)
  const found = findNode(world, target)
  if (failure || !found) {
    const why = failure?.endsWith('Connection refused')
      ? '[Errno 111] Connection refused'
      : failure?.includes('Could not resolve')
        ? '[Errno -2] Name or service not known'
        : '[Errno 113] No route to host'
    usageError(`can't connect: ${why}`)
  }
  const [to] = /** @type {[string, unknown]} */ (found)
  if (!xenOf(world).hosts[to]) usageError(`can't connect: [Errno 111] Connection refused`)
  if (freeMemory(world, to) < dom.memory) usageError(`${NO_MEMORY} (from ${target})`)
  migrateGuest(name, to)
}

/** err() then _usage(): the message on stderr, the command's usage on stdout. @param {string} message @returns {never} */
function usageError(message) {
  process.stderr.write(`Error: ${message}\n`)
  process.stdout.write(USAGE.migrate)
  process.exit(1)
}
