// @ts-check
// Lab xl (Xen 4.17 toolstack): list, info, create, destroy, migrate and migrate-receive on the
// lab's Xen hosts. Formats and messages follow tools/xl and tools/libs/light of RELEASE-4.17.0:
// `xl list` columns, `xl info` keys, find_domain's "invalid domain identifier (rc=-6)", the
// migration sender/target messages, and libxl's "file/stream truncated" when the target
// cannot be reached. `xl migrate` runs `ssh <host> xl migrate-receive` as the real one does.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
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

const BANNER = 'xl migration receiver ready, send binary domain data\n'
const [command = '', ...args] = process.argv.slice(2)
const world = readWorld()
const host = localHost(world)
if (!host) {
  process.stderr.write(
    'xencall: error: Could not obtain handle on privileged command interface: No such file or directory\n' +
      'libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\n' +
      'cannot init xl context\n',
  )
  process.exit(1)
}
const here = /** @type {string} */ (host)
const positional = args.filter((a) => !a.startsWith('-'))

switch (command) {
  case 'list':
    list(positional[0])
    break
  case 'info':
    info()
    break
  case 'create':
    create(positional[0] ?? '')
    break
  case 'destroy':
    destroy(positional[0] ?? '')
    break
  case 'migrate':
    migrate(positional[0] ?? '', positional[1] ?? '')
    break
  case 'migrate-receive':
    receive()
    break
  default:
    process.stderr.write(`command not implemented\n`)
    process.exit(1)
}

/** find_domain(): a name this host does not run is an invalid identifier. @param {string} name */
function findDomain(name) {
  const dom = xenOf(world).domains[name]
  const instance = dom && instanceOn(world, dom, here)
  if (!instance) {
    process.stderr.write(`${name} is an invalid domain identifier (rc=-6)\n`)
    process.exit(1)
  }
  return instance
}

/** @param {string | undefined} only */
function list(only) {
  const rows = only ? [[only, findDomain(only)]] : guestsOn(world, here)
  const spec = xenOf(world).hosts[here]
  let out = 'Name                                        ID   Mem VCPUs\tState\tTime(s)\n'
  if (!only) out += row('Domain-0', 0, spec?.dom0 ?? 0, spec?.cpus ?? 4, 'r-----', 1843.2)
  for (const [name, dom] of /** @type {[string, import('../xen.mjs').XenDomain][]} */ (rows))
    out += row(name, dom.id ?? 0, dom.memory, dom.vcpus ?? 1, stateFlags(dom), cpuSeconds(dom))
  process.stdout.write(out)
}

/**
 * @param {string} name @param {number} id @param {number} mem @param {number} vcpus
 * @param {string} flags @param {number} seconds
 */
function row(name, id, mem, vcpus, flags, seconds) {
  return `${name.padEnd(40)} ${String(id).padStart(5)} ${String(mem).padStart(5)} ${String(vcpus).padStart(5)}     ${flags}  ${seconds.toFixed(1).padStart(8)}\n`
}

function info() {
  const spec = xenOf(world).hosts[here] ?? { memory: 0 }
  const cpus = spec.cpus ?? 4
  const lines = [
    ['host', here],
    ['release', '6.1.0-28-amd64'],
    ['version', '#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)'],
    ['machine', 'x86_64'],
    ['nr_cpus', cpus],
    ['max_cpu_id', cpus - 1],
    ['nr_nodes', 1],
    ['cores_per_socket', cpus],
    ['threads_per_core', 1],
    ['cpu_mhz', `${spec.mhz ?? 2400}.000`],
    ['hw_caps', 'bfebfbff:77fafbff:2c100800:00000121:0000000f:009c6fbf:00000000:00000100'],
    ['virt_caps', ' pv hvm hvm_directio pv_directio hap shadow gnttab-v1 gnttab-v2'],
    ['total_memory', spec.memory],
    ['free_memory', freeMemory(world, here)],
    ['sharing_freed_memory', 0],
    ['sharing_used_memory', 0],
    ['outstanding_claims', 0],
    ['free_cpus', 0],
    ['xen_major', 4],
    ['xen_minor', 17],
    ['xen_extra', '.5'],
    ['xen_version', '4.17.5'],
    ['xen_caps', 'xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64'],
    ['xen_scheduler', 'credit2'],
    ['xen_pagesize', 4096],
    ['platform_params', 'virt_start=0xffff800000000000'],
    ['xen_changeset', ''],
    ['xen_commandline', 'placeholder dom0_mem=1024M,max:1024M'],
    ['cc_compiler', 'x86_64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0'],
    ['cc_compile_by', 'pkg-xen-devel'],
    ['cc_compile_domain', 'lists.alioth.debian.org'],
    ['cc_compile_date', 'Mon Sep  2 14:57:44 UTC 2024'],
    ['build_id', '6fca1d2ca5ab67e3a1f3a0b6a6e04e0bb5d3d6f1'],
    ['xend_config_format', 4],
  ]
  // The label column is 23 wide (`host                   : node1`), as maybe_printf pads it.
  process.stdout.write(lines.map(([k, v]) => `${String(k).padEnd(23)}: ${v}\n`).join(''))
}

/** `xl create <cfg>`: the guest whose config file this is, started here. @param {string} cfg */
function create(cfg) {
  const xen = xenOf(world)
  const entry = Object.entries(xen.domains).find(
    ([name, d]) => (d.cfg ?? `/etc/xen/${name}.cfg`) === cfg,
  )
  if (!entry) {
    process.stderr.write(`Failed to read config file: ${cfg}: No such file or directory\n`)
    process.exit(1)
  }
  const [name, dom] = entry
  process.stderr.write(`Parsing config from ${cfg}\n`)
  if (runsOn(world, dom, here)) {
    const next = xen.nextId ?? 1
    process.stderr.write(
      `libxl: error: libxl_domain.c:81:libxl__domain_rename: Domain ${next}:Domain with name "${name}" already exists.\n` +
        `libxl: error: libxl_create.c:1294:initiate_domain_create: Domain ${next}:cannot make domain: -6\n`,
    )
    process.exit(1)
  }
  if (freeMemory(world, here) < dom.memory) {
    process.stderr.write('failed to free memory for the domain\n')
    process.exit(1)
  }
  updateWorld((w) => void startOn(w, name, here, 'booted'))
}

/** @param {string} name */
function destroy(name) {
  findDomain(name)
  updateWorld((w) => stopOn(w, name, here))
}

/**
 * The sender: the guest's config goes to `xl migrate-receive` on the target through ssh; the
 * target's own messages come back on stderr, interleaved here where the real xl prints them.
 * @param {string} name @param {string} target
 */
function migrate(name, target) {
  const dom = findDomain(name)
  const child = spawnSync('ssh', [target, 'xl', 'migrate-receive'], {
    input: JSON.stringify({ name, memory: dom.memory }),
    encoding: 'utf8',
  })
  const pid = child.pid ?? 0
  const said = (child.stderr ?? '').split(/(?<=\n)/)
  if (!(child.stdout ?? '').startsWith(BANNER)) {
    process.stderr.write(
      `${said.join('')}libxl: error: libxl_utils.c:505:libxl_read_exactly: file/stream truncated reading banner from migration receiver stream\n` +
        `libxl: info: libxl_exec.c:117:libxl_report_child_exitstatus: migration transport process [${pid}] exited with error status ${child.status ?? 255}\n`,
    )
    process.exit(1)
  }
  const [ready = '', ...rest] = said
  process.stderr.write(`${ready}Saving to migration stream new xl format (info 0x3/0x0/1327)\n`)
  for (const line of rest) {
    process.stderr.write(line)
    if (line.startsWith('migration target: Transfer complete'))
      process.stderr.write(
        'migration sender: Target has acknowledged transfer.\nmigration sender: Giving target permission to start.\n',
      )
  }
  if (child.status !== 0) {
    process.stderr.write(
      'migration sender: libxl_domain_suspend failed (rc=-3)\n' +
        `libxl: info: libxl_exec.c:117:libxl_report_child_exitstatus: migration transport process [${pid}] exited with error status ${child.status}\n` +
        'Migration failed, resuming at sender.\n',
    )
    process.exit(1)
  }
  process.stderr.write(
    'migration sender: Target reports successful startup.\nMigration successful.\n',
  )
}

/** The target: creates the incoming guest here if the memory is there. */
function receive() {
  process.stderr.write('migration target: Ready to receive domain.\n')
  process.stdout.write(BANNER)
  const incoming = JSON.parse(readFileSync(0, 'utf8'))
  process.stderr.write(
    'Loading new save file <incoming migration stream> (new xl fmt info 0x3/0x0/1327)\n' +
      ' Savefile contains xl domain config in JSON format\n' +
      'Parsing config from <saved>\n',
  )
  if (freeMemory(readWorld(), here) < incoming.memory) {
    process.stderr.write(
      'failed to free memory for the domain\nmigration target: Domain creation failed (code -3).\n',
    )
    process.exit(1)
  }
  migrateGuest(incoming.name, here)
  process.stderr.write(
    'migration target: Transfer complete, requesting permission to start domain.\n' +
      'migration target: Got permission, starting domain.\n' +
      'migration target: Domain started successsfully.\n',
  )
}
