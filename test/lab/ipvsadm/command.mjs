// @ts-check
// ipvsadm's option processing: one argv → one command entry, failing with ipvsadm's own messages
// and exit codes in the same order as the real tool (parse, then option table, then sanity checks).
import { fail, tryHelp } from './exit.mjs'
import { poptContext } from './popt.mjs'
import { checkOptions, checkTunnelOptions } from './rules.mjs'
import {
  parseFwmark,
  parseNetmask,
  parseSchedFlags,
  parseService,
  parseTimeout,
  SERVICE_ADDR,
  toNumber,
} from './values.mjs'

export const MAX_TIMEOUT = 86400 * 31
const INT_MAX = 2147483647
const PERSISTENT_TIMEOUT = 360
const TUN_TYPES = ['ipip', 'gue', 'gre']

/**
 * @typedef {{ af: 0 | 4 | 6, protocol: 'tcp' | 'udp' | 'sctp' | null, addr: string | null,
 *   port: number, fwmark: number, sched: string, persistent: boolean, ops: boolean,
 *   schedFlags: number, timeout: number, netmask: string | number, pe: string }} ServiceSpec
 * @typedef {{ af: 0 | 4 | 6, addr: string | null, port: number, fwd: 'masq' | 'route' | 'tunnel',
 *   weight: number, uthreshold: number, lthreshold: number, tunType: number, tunPort: number,
 *   tunFlags: number }} DestSpec
 * @typedef {{ cmd: string, options: Set<string>, format: Set<string>, svc: ServiceSpec,
 *   dest: DestSpec, timeouts: number[], daemon: { state: string, ifname: string, syncid: number } }} CommandEntry
 */

/** The command before any option: what `memset` and ipvsadm's defaults leave in place. */
function blankEntry() {
  return /** @type {CommandEntry} */ ({
    cmd: '',
    options: new Set(),
    format: new Set(),
    svc: {
      af: 0,
      protocol: null,
      addr: null,
      port: 0,
      fwmark: 0,
      sched: '',
      persistent: false,
      ops: false,
      schedFlags: 0,
      timeout: 0,
      netmask: '255.255.255.255',
      pe: '',
    },
    dest: {
      af: 0,
      addr: null,
      port: 0,
      fwd: 'route',
      weight: 1,
      uthreshold: 0,
      lthreshold: 0,
      tunType: 0,
      tunPort: 0,
      tunFlags: 0,
    },
    timeouts: [0, 0, 0],
    daemon: { state: '', ifname: '', syncid: 0 },
  })
}

const COMMANDS = /** @type {Record<string, string>} */ ({
  A: 'add-service',
  E: 'edit-service',
  D: 'delete-service',
  C: 'flush',
  L: 'list',
  l: 'list',
  Z: 'zero',
  a: 'add-server',
  e: 'edit-server',
  d: 'delete-server',
  set: 'set',
  R: 'restore',
  S: 'save',
  'start-daemon': 'start-daemon',
  'stop-daemon': 'stop-daemon',
})

/**
 * Parses one ipvsadm command line (without argv[0]).
 * Returns the entry, or `{ poptError }` when popt gave up (ipvsadm then returns -1: exit 255).
 * Throws `Exit` for everything ipvsadm fails on directly; `-h`/`-v` come back as `cmd`.
 * @param {string[]} argv
 * @returns {CommandEntry | { poptError: string }}
 */
export function parseCommand(argv) {
  const entry = blankEntry()
  const popt = poptContext(argv)
  const first = popt.next()
  if (!first || first.kind === 'error') throw tryHelp()
  if (first.tag === 'h' || first.tag === 'v') return { ...entry, cmd: first.tag }
  const cmd = COMMANDS[first.tag]
  if (!cmd) throw tryHelp()
  entry.cmd = cmd
  if (cmd === 'start-daemon' || cmd === 'stop-daemon') entry.daemon.state = daemonState(first)
  let sched = ''
  for (let item = popt.next(); item; item = popt.next()) {
    if (item.kind === 'error') return { poptError: `${item.text}: ${item.reason}\n` }
    const result = applyOption(entry, item)
    if (typeof result === 'string') sched = result
  }
  finishArguments(entry, popt.args())
  if (sched) entry.svc.schedFlags = parseSchedFlags(entry.svc.sched || 'wlc', sched)
  return entry
}

/** @param {{ tag: string, arg?: string }} item */
function daemonState(item) {
  if (item.arg === 'master' || item.arg === 'backup') return item.arg
  throw fail(
    item.tag === 'start-daemon'
      ? 'illegal start-daemon parameter specified'
      : 'illegal start_daemon specified',
  )
}

/** @param {CommandEntry} entry @param {string[]} args */
function finishArguments(entry, args) {
  if (entry.cmd === 'set') {
    if (args.length < 3) throw fail('--set option requires 3 timeout values')
    entry.timeouts = args.splice(0, 3).map((a) => parseTimeout(a, 0, MAX_TIMEOUT))
  }
  if (args.length > 0) throw fail(`unexpected argument ${args[0]}`)
}

/**
 * One option, in command-line order; returns the raw -b argument (parsed after the loop).
 * @param {CommandEntry} entry @param {{ tag: string, arg?: string, text: string }} item
 */
function applyOption(entry, item) {
  const { tag, arg = '' } = item
  const { svc, dest } = entry
  const set = (/** @type {string} */ name) => {
    if (entry.options.has(name)) throw fail(`multiple '${name}' options specified`)
    entry.options.add(name)
  }
  const number = (/** @type {number} */ max, /** @type {string} */ what) => {
    const n = toNumber(arg, 0, max)
    if (n === undefined) throw fail(`illegal ${what} specified`)
    return n
  }
  switch (tag) {
    case 't':
    case 'u':
    case 'sctp-service':
      set('service-address')
      svc.protocol = tag === 't' ? 'tcp' : tag === 'u' ? 'udp' : 'sctp'
      if (!(parseService(arg, svc) & SERVICE_ADDR))
        throw fail('illegal virtual server address[:port] specified')
      return
    case 'f':
      set('service-address')
      svc.af = 4
      svc.protocol = 'tcp'
      svc.fwmark = parseFwmark(arg)
      return
    case 's':
      set('scheduler')
      svc.sched = arg.slice(0, 15)
      return
    case 'p':
      set('persistent')
      svc.persistent = true
      svc.timeout =
        item.arg === undefined ? PERSISTENT_TIMEOUT : parseTimeout(item.arg, 1, MAX_TIMEOUT)
      return
    case 'M':
      set('netmask')
      svc.netmask = parseNetmask(arg, svc.af)
      return
    case 'r': {
      set('real-server')
      const target = { ...svc }
      const parsed = parseService(arg, target)
      Object.assign(dest, { af: target.af, addr: target.addr, port: target.port })
      if (!(parsed & SERVICE_ADDR)) throw fail('illegal real server address[:port] specified')
      if (parsed === SERVICE_ADDR) dest.port = svc.port
      return
    }
    case 'i':
    case 'g':
    case 'm':
      set('forwarding-method')
      dest.fwd = tag === 'i' ? 'tunnel' : tag === 'g' ? 'route' : 'masq'
      return
    case 'w':
      set('weight')
      dest.weight = number(INT_MAX, 'weight')
      return
    case 'x':
      set('u-threshold')
      dest.uthreshold = number(INT_MAX, 'u_threshold')
      return
    case 'y':
      set('l-threshold')
      dest.lthreshold = number(INT_MAX, 'l_threshold')
      return
    case 'b':
      set('sched-flags')
      return arg
    default:
      return applyListOrDaemonOption(entry, item, set)
  }
}

/**
 * Options of listing, tunnels, one-packet scheduling and the sync daemon.
 * @param {CommandEntry} entry @param {{ tag: string, arg?: string, text: string }} item
 * @param {(name: string) => void} set
 */
function applyListOrDaemonOption(entry, item, set) {
  const { tag, arg = '' } = item
  const { svc, dest } = entry
  const flag = (/** @type {string} */ name, /** @type {string} */ format = name) => {
    set(name)
    entry.format.add(format)
  }
  const bounded = (
    /** @type {number} */ min,
    /** @type {number} */ max,
    /** @type {string} */ what,
  ) => {
    const n = toNumber(arg, min, max)
    if (n === undefined) throw fail(`illegal ${what} specified`)
    return n
  }
  switch (tag) {
    case 'n':
      return flag('numeric')
    case 'c':
      return set('connection')
    case 'timeout':
    case 'daemon':
      return set(tag)
    case 'stats':
    case 'rate':
    case 'thresholds':
    case 'persistent-conn':
    case 'nosort':
    case 'tun-info':
      return flag(tag)
    case 'sort':
      return
    case 'X':
      return flag('exact')
    case '6':
      if (!svc.fwmark) throw fail('-6 used before -f\n')
      svc.af = 6
      svc.netmask = 128
      return
    case 'o':
      set('ops')
      svc.ops = true
      return
    case 'pe':
      set('pe')
      svc.pe = arg.slice(0, 16)
      return
    case 'tun-type': {
      set('tun-type')
      const type = TUN_TYPES.indexOf(arg)
      if (type < 0) throw fail('illegal tunnel type specified')
      dest.tunType = type
      return
    }
    case 'tun-port':
      set('tun-port')
      dest.tunPort = bounded(1, 65535, 'tunnel port')
      return
    case 'tun-nocsum':
    case 'tun-csum':
    case 'tun-remcsum':
      set(tag)
      dest.tunFlags |= { 'tun-nocsum': 0, 'tun-csum': 1, 'tun-remcsum': 2 }[tag]
      return
    case 'mcast-interface':
      set('mcast-interface')
      entry.daemon.ifname = arg.slice(0, 15)
      return
    case 'syncid':
      set('syncid')
      entry.daemon.syncid = bounded(0, 255, 'syncid')
      return
    case 'mcast-port':
    case 'mcast-ttl':
    case 'sync-maxlen':
      set(tag)
      bounded(1, tag === 'mcast-ttl' ? 255 : tag === 'mcast-port' ? 65535 : 65535 - 28, tag)
      return
    case 'mcast-group':
      set('mcast-group')
      return
    default:
      throw fail(`invalid option \`${item.text}'`)
  }
}

/**
 * The checks ipvsadm makes once every option is read, in its order.
 * @param {CommandEntry} entry
 */
export function validateCommand(entry) {
  checkOptions(entry.cmd, entry.options)
  const { svc, dest } = entry
  if (entry.cmd === 'add-service' || entry.cmd === 'edit-service') {
    if (!svc.fwmark && !svc.port && !svc.persistent)
      throw fail('Zero port specified for non-persistent service')
    if (svc.ops && !svc.fwmark && svc.protocol !== 'udp')
      throw fail('One-Packet Scheduling is only for UDP virtual services')
    if (!svc.sched) svc.sched = 'wlc'
  }
  if (entry.cmd === 'add-server' || entry.cmd === 'edit-server') {
    // Direct routing and tunnelling cannot change the port: the kernel keeps the service's.
    if (!svc.fwmark && (dest.fwd === 'tunnel' || dest.fwd === 'route')) dest.port = svc.port
    if (dest.af !== svc.af && dest.fwd !== 'tunnel')
      throw fail('Different address family is allowed only for tunneling servers')
    const tunnelOptions = ['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum']
    if (tunnelOptions.some((o) => entry.options.has(o)) && dest.fwd !== 'tunnel')
      throw fail('Tunnel options conflict with forward method')
    checkTunnelOptions(TUN_TYPES[dest.tunType] ?? 'ipip', entry.options)
  }
  if (entry.cmd === 'list') {
    const has = (/** @type {string[]} */ names) => names.some((n) => entry.options.has(n))
    if (
      (has(['connection', 'timeout', 'daemon']) && has(['stats', 'rate', 'thresholds'])) ||
      (has(['timeout', 'daemon']) && has(['persistent-conn']))
    )
      throw fail('options conflicts in the list command')
  }
}
