// @ts-check
// Lab virsh (libvirt 9.0.0): list, domstate, dominfo, nodeinfo, start, destroy and migrate on the
// lab's Xen hosts, local or through `-c xen+ssh://host/system`. Output is byte for byte what the
// real virsh prints (../shared/reference/virsh-9.0.0.txt; the tests compare against the real
// binary on libvirt's test driver): vshTable columns, a blank line after every command, errors
// as "error: ..." on stderr. Every host's libvirt knows every guest (shared definitions), so a
// guest running elsewhere shows as "shut off" here, as it does on a real cluster.
import { findNode, sshFailure } from '../reach.mjs'
import { readWorld, updateWorld } from '../world.mjs'
import {
  cpuSeconds,
  freeMemory,
  instanceOn,
  localHost,
  migrateGuest,
  runsOn,
  startOn,
  stopOn,
  uuidOf,
  xenOf,
} from '../xen.mjs'

/** @typedef {import('../xen.mjs').XenDomain} XenDomain */

const argv = process.argv.slice(2)
let uri = ''
while (argv[0]?.startsWith('-')) {
  const flag = argv.shift()
  if (flag === '-c' || flag === '--connect') uri = argv.shift() ?? ''
  else if (flag?.startsWith('--connect=')) uri = flag.slice(10)
}
const [command = '', ...args] = argv
const world = readWorld()
const here = connect(uri)
const flags = new Set(args.filter((a) => a.startsWith('--')))
const positional = args.filter((a) => !a.startsWith('--'))
const COMMANDS = { list, domstate, dominfo, nodeinfo, start, destroy, migrate }
const run = COMMANDS[/** @type {keyof typeof COMMANDS} */ (command)]
if (!run) fail(`unknown command: '${command}'`, false)
run()
process.stdout.write('\n')

/** @param {string} target @returns {string} */
function connect(target) {
  const remote = /^[a-z]+\+ssh:\/\/(?:[^@/]+@)?([^/:]+)/.exec(target)?.[1]
  const failure = remote ? sshFailure(world, remote) : undefined
  const node = remote ? findNode(world, remote)?.[0] : localHost(world)
  if (failure || !node || !xenOf(world).hosts[node]) {
    const why = failure
      ? `Cannot recv data: ${failure}: Connection reset by peer`
      : "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory"
    process.stderr.write(`error: failed to connect to the hypervisor\nerror: ${why}\n`)
    process.exit(1)
  }
  return node
}

/** @returns {[string, XenDomain][]} */
function visible() {
  return Object.entries(xenOf(world).domains).filter(
    ([, d]) => !d.defined || d.defined.includes(here),
  )
}

/** @param {string} name */
function domain(name) {
  const dom0 = xenOf(world).hosts[here]?.dom0
  // The libxl driver shows the host's own domain (id 0) as Domain-0.
  if (name === 'Domain-0' && dom0)
    return {
      host: here,
      state: 'running',
      memory: dom0,
      id: 0,
      vcpus: xenOf(world).hosts[here]?.cpus ?? 4,
      startedAt: 0,
    }
  const found = visible().find(([n]) => n === name)
  if (!found) fail(`failed to get domain '${name}'`)
  const dom = /** @type {XenDomain} */ (found?.[1])
  return instanceOn(world, dom, here) ?? dom
}

/** @param {XenDomain} dom */
function stateOf(dom) {
  if (dom.id !== 0 && !runsOn(world, dom, here)) return 'shut off'
  return dom.state === 'paused' ? 'paused' : dom.state === 'blocked' ? 'idle' : 'running'
}

function list() {
  const all = visible()
  const active = all
    .flatMap(([name, d]) => {
      const instance = instanceOn(world, d, here)
      return instance ? [/** @type {[string, XenDomain]} */ ([name, instance])] : []
    })
    .sort(([, a], [, b]) => (a.id ?? 0) - (b.id ?? 0))
  const inactive = all
    .filter(([, d]) => !runsOn(world, d, here))
    .sort(([a], [b]) => a.localeCompare(b))
  const spec = xenOf(world).hosts[here]
  /** @type {string[][]} */
  const rows = spec?.dom0 ? [['0', 'Domain-0', 'running']] : []
  for (const [name, dom] of active) rows.push([String(dom.id), name, stateOf(dom)])
  if (flags.has('--all') || flags.has('--inactive'))
    for (const [name] of inactive) rows.push(['-', name, 'shut off'])
  const shown = flags.has('--inactive') ? rows.filter((r) => r[2] === 'shut off') : rows
  if (flags.has('--name')) {
    process.stdout.write(shown.map((r) => `${r[1]}\n`).join(''))
    return
  }
  process.stdout.write(table(['Id', 'Name', 'State'], shown))
}

/** vshTable: a leading space, columns three spaces apart, the last one unpadded. @param {string[]} header @param {string[][]} rows */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (/** @type {string[]} */ cells) =>
    ` ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ')}\n`
  const dashes = '-'.repeat(widths.reduce((sum, w) => sum + w + 3, 0))
  return `${line(header)}${dashes}\n${rows.map(line).join('')}`
}

function domstate() {
  const dom = domain(positional[0] ?? '')
  const state = stateOf(dom)
  const reason =
    state === 'shut off'
      ? dom.reason === 'destroyed'
        ? 'destroyed'
        : 'unknown'
      : (dom.reason ?? 'booted')
  process.stdout.write(flags.has('--reason') ? `${state} (${reason})\n` : `${state}\n`)
}

function dominfo() {
  const name = positional[0] ?? ''
  const dom = domain(name)
  const running = dom.id === 0 || runsOn(world, dom, here)
  const kib = `${dom.memory * 1024} KiB`
  const fields = [
    ['Id', running ? String(dom.id) : '-'],
    ['Name', name],
    ['UUID', dom.uuid ?? uuidOf(name)],
    ['OS Type', 'linux'],
    ['State', stateOf(dom)],
    ['CPU(s)', String(dom.vcpus ?? 1)],
    ...(running ? [['CPU time', `${cpuSeconds(dom).toFixed(1)}s`]] : []),
    ['Max memory', kib],
    ['Used memory', kib],
    ['Persistent', 'yes'],
    ['Autostart', 'disable'],
    ['Managed save', 'no'],
    ['Security model', 'testSecurity'],
    ['Security DOI', ''],
    ...(running ? [['Security label', 'libvirt-test (enforcing)']] : []),
  ]
  process.stdout.write(fields.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}\n`).join(''))
}

function nodeinfo() {
  const spec = xenOf(world).hosts[here] ?? { memory: 0 }
  const cpus = spec.cpus ?? 4
  const fields = [
    ['CPU model', spec.model ?? 'x86_64'],
    ['CPU(s)', cpus],
    ['CPU frequency', `${spec.mhz ?? 2400} MHz`],
    ['CPU socket(s)', 1],
    ['Core(s) per socket', cpus],
    ['Thread(s) per core', 1],
    ['NUMA cell(s)', 1],
    ['Memory size', `${spec.memory * 1024} KiB`],
  ]
  process.stdout.write(fields.map(([k, v]) => `${`${k}:`.padEnd(21)}${v}\n`).join(''))
}

function start() {
  const name = positional[0] ?? ''
  const dom = domain(name)
  if (runsOn(world, dom, here)) fail('Domain is already active')
  if (freeMemory(world, here) < dom.memory)
    fail(
      `Failed to start domain '${name}'\nerror: internal error: libxenlight failed to get free memory for domain '${name}'`,
    )
  updateWorld((w) => void startOn(w, name, here, 'booted'))
  process.stdout.write(`Domain '${name}' started\n`)
}

function destroy() {
  const name = positional[0] ?? ''
  const dom = domain(name)
  if (!runsOn(world, dom, here))
    fail(
      `Failed to destroy domain '${name}'\nerror: Requested operation is not valid: domain is not running`,
    )
  updateWorld((w) => stopOn(w, name, here))
  process.stdout.write(`Domain '${name}' destroyed\n`)
}

function migrate() {
  const [name = '', desturi] = positional
  if (!desturi) fail("command 'migrate' requires <desturi> option", false)
  const dom = domain(name)
  if (!runsOn(world, dom, here)) fail('Requested operation is not valid: domain is not running')
  const remote = /^[a-z]+\+ssh:\/\/(?:[^@/]+@)?([^/:]+)/.exec(desturi ?? '')?.[1] ?? ''
  const failure = sshFailure(world, remote)
  if (failure) fail(`Cannot recv data: ${failure}: Connection reset by peer`)
  const target = findNode(world, remote)?.[0] ?? ''
  if (!xenOf(world).hosts[target]) fail('failed to connect to the hypervisor')
  if (freeMemory(world, target) < dom.memory)
    fail(`internal error: libxenlight failed to get free memory for domain '${name}'`)
  migrateGuest(name, target)
}

/** virsh prints the error, and (after a command ran) its usual blank line. @param {string} message @returns {never} */
function fail(message, ran = true) {
  if (ran) process.stdout.write('\n')
  process.stderr.write(`error: ${message}\n`)
  process.exit(1)
}
