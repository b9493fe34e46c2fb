// @ts-check
// ipvsadm's output formats, column for column: the table (-L), rules (-S), thresholds, stats,
// rates, persistent connections, tunnel info, connection entries, timeouts and sync daemons.
import { addressPort, compareAddresses } from './addr.mjs'
import { connectionCounts } from './kernel.mjs'

const TUNNEL_NAMES = ['ipip', 'gue', 'gre']
const TUNNEL_FLAGS = ['-c', '+c', 'r+c']
const TUNNEL_FLAG_OPTIONS = ['--tun-nocsum', '--tun-csum', '--tun-remcsum']
const PROTOCOL_ORDER = { tcp: 6, udp: 17, sctp: 132 }

/**
 * @typedef {import('./kernel.mjs').Table} Table
 * @typedef {import('./kernel.mjs').Service} Service
 * @typedef {import('./kernel.mjs').Dest} Dest
 */

/** `IP Virtual Server version ...` (unless saving), the titles, then every service. */
export function listAll(/** @type {Table} */ table, /** @type {Set<string>} */ format) {
  let out = format.has('rule') ? '' : 'IP Virtual Server version 1.2.1 (size=4096)\n'
  const services = format.has('nosort') ? [...table.services] : sortServices(table.services)
  out += title(format)
  for (const service of services) out += serviceEntry(table, service, format)
  return out
}

/** One service with its title and no version line (-L -t ...). */
export function listService(
  /** @type {Table} */ table,
  /** @type {Service} */ service,
  /** @type {Set<string>} */ format,
) {
  return title(format) + serviceEntry(table, service, format)
}

/** `Timeout (tcp tcpfin udp): 900 120 300`. @param {Table} table */
export function listTimeout(table) {
  const t = table.timeouts
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpfin} ${t.udp}\n`
}

/** One line per running sync daemon, master first. @param {Table} table */
export function listDaemons(table) {
  return ['master', 'backup']
    .map((state) => table.daemons.find((d) => d.state === state))
    .filter((d) => d !== undefined)
    .map(
      (d) =>
        `${d.state} sync daemon (mcast=${d.ifname}, syncid=${d.syncid}, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n`,
    )
    .join('')
}

/** `-Lc`: the connection entries, as /proc/net/ip_vs_conn lists them. */
export function listConnections(
  /** @type {Table} */ table,
  /** @type {Set<string>} */ format,
  now = Date.now(),
) {
  const persistent = format.has('persistent-conn')
  let out = 'IPVS connection entries\n'
  out += persistent
    ? `pro expire ${pad('state', 11)} ${pad('source', 18)} ${pad('virtual', 18)} ${pad('destination', 18)} ${pad('pe name', 16)} pe_data\n`
    : `pro expire ${pad('state', 11)} ${pad('source', 18)} ${pad('virtual', 18)} destination\n`
  for (const conn of table.conns) {
    const left = Math.max(0, Math.floor((conn.expiresAt - now) / 1000))
    const expire = `${two(Math.floor(left / 60))}:${two(left % 60)}`
    out += `${pad(conn.protocol, 3)} ${pad(expire, 6)} ${pad(conn.state, 11)} ${pad(conn.client, 18)} ${pad(conn.virtual, 18)} ${conn.destination}\n`
  }
  return out
}

/** ipvsadm's order: fwmark, family, protocol, then address and port (with C's int wrap-around). */
export function sortServices(/** @type {Service[]} */ services) {
  return [...services].sort(
    (a, b) =>
      a.fwmark - b.fwmark ||
      a.af - b.af ||
      (a.fwmark ? 0 : PROTOCOL_ORDER[a.protocol] - PROTOCOL_ORDER[b.protocol]) ||
      compareAddresses(address(a), address(b)) ||
      a.port - b.port,
  )
}

/** @param {Set<string>} format */
function title(format) {
  const head = pad('Prot LocalAddress:Port', 33)
  const columns = (/** @type {string[]} */ names) => names.map((n) => n.padStart(8)).join(' ')
  if (format.has('stats'))
    return `${head} ${columns(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'])}\n  -> RemoteAddress:Port\n`
  if (format.has('rate'))
    return `${head} ${columns(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'])}\n  -> RemoteAddress:Port\n`
  if (format.has('thresholds'))
    return `${head} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((n) => pad(n, 10)).join(' ')}\n  -> RemoteAddress:Port\n`
  if (format.has('persistent-conn'))
    return `${head} ${pad('Weight', 9)} ${pad('PersistConn', 11)} ${pad('ActiveConn', 10)} ${pad('InActConn', 10)}\n  -> RemoteAddress:Port\n`
  if (format.has('tun-info'))
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n'
  if (format.has('rule')) return ''
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n'
}

/** @param {Table} table @param {Service} service @param {Set<string>} format */
function serviceEntry(table, service, format) {
  const rule = format.has('rule')
  const name = serviceName(service, rule)
  let out
  if (rule) out = `-A ${name} -s ${service.sched}${ruleFlags(service)}\n`
  else if (format.has('stats')) out = `${pad(name, 33)}${counters(service.stats, format)}\n`
  else if (format.has('rate')) out = `${pad(name, 33)}${rates(service.rate, format)}\n`
  else out = `${name} ${service.sched}${listFlags(service)}\n`
  const dests = format.has('nosort') ? [...service.dests] : sortDests(service.dests)
  for (const dest of dests) out += destEntry(table, service, dest, name, format)
  return out
}

/** @param {Service} service @param {boolean} rule */
function serviceName(service, rule) {
  if (service.fwmark) {
    const v6 = service.af === 6
    return rule
      ? `-f ${service.fwmark}${v6 ? ' -6' : ''}`
      : `FWM  ${service.fwmark}${v6 ? ' IPv6' : ''}`
  }
  const where = addressPort(address(service), service.port)
  if (rule) return `${{ tcp: '-t', udp: '-u', sctp: '--sctp-service' }[service.protocol]} ${where}`
  const name = `${pad(service.protocol.toUpperCase(), 4)} ${where}`
  return service.af === 6 ? name : name.slice(0, 33)
}

/** ` -p 300 -M 255.255.255.0 --pe sip -o -b flag-1` of `-S`. @param {Service} s */
function ruleFlags(s) {
  let out = ''
  if (s.persistent) out += ` -p ${s.timeout}${maskText(s, ' -M ')}`
  if (s.pe) out += ` --pe ${s.pe}`
  if (s.ops) out += ' -o'
  if (s.schedFlags) out += ` -b ${schedFlags(s)}`
  return out
}

/** ` (sh-port) persistent 300 mask 255.255.255.0 pe sip ops` of `-L`. @param {Service} s */
function listFlags(s) {
  let out = s.schedFlags ? ` (${schedFlags(s)})` : ''
  if (s.persistent)
    out += ` persistent ${s.timeout}${maskText(s, ' mask ')}${s.pe ? ` pe ${s.pe}` : ''}`
  if (s.ops) out += ' ops'
  return out
}

/** @param {Service} s @param {string} label */
function maskText(s, label) {
  if (s.af === 6) return s.netmask !== 128 ? `${label}${s.netmask}` : ''
  return s.netmask !== '255.255.255.255' ? `${label}${s.netmask}` : ''
}

/** @param {Service} s */
function schedFlags(s) {
  const names =
    s.sched === 'sh'
      ? ['sh-fallback', 'sh-port']
      : s.sched === 'mh'
        ? ['mh-fallback', 'mh-port']
        : ['flag-1', 'flag-2', 'flag-3']
  return names.filter((_, bit) => s.schedFlags & (1 << bit)).join(',')
}

/**
 * @param {Table} table @param {Service} service @param {Dest} dest @param {string} svcName
 * @param {Set<string>} format
 */
function destEntry(table, service, dest, svcName, format) {
  const name = addressPort(address(dest), dest.port)
  const { active, inactive } = connectionCounts(table, service, dest)
  const switchOf = { masq: '-m', tunnel: '-i', route: '-g' }[dest.fwd]
  if (format.has('rule')) {
    const base = `-a ${svcName} -r ${name} ${switchOf} -w ${dest.weight}`
    return dest.fwd === 'tunnel' ? `${base}${tunnelRule(dest)}\n` : `${base}\n`
  }
  const head = `  -> ${pad(name, 28)}`
  if (format.has('stats')) return `${head}${counters(dest.stats, format)}\n`
  if (format.has('rate')) {
    const r = dest.rate
    const exact = [r.cps, r.inpps, r.outpps].map((n) => String(n).padStart(8)).join(' ')
    return `${head} ${exact}${largeNumber(r.inbps, format)}${largeNumber(r.outbps, format)}\n`
  }
  const forward = { masq: 'Masq', tunnel: 'Tunnel', route: 'Route' }[dest.fwd]
  const counts = `${pad(String(active), 10)} ${pad(String(inactive), 10)}`
  if (format.has('thresholds'))
    return `${head} ${pad(String(dest.uthreshold), 10)} ${pad(String(dest.lthreshold), 10)} ${counts}\n`
  if (format.has('persistent-conn'))
    return `${head} ${pad(String(dest.weight), 9)} ${pad('0', 11)} ${counts}\n`
  if (format.has('tun-info'))
    return `${head} ${pad(forward, 7)} ${pad(tunnelInfo(dest), 13)} ${pad(String(dest.weight), 6)} ${counts}\n`
  return `${head} ${pad(forward, 7)} ${pad(String(dest.weight), 6)} ${counts}\n`
}

/** @param {Dest} dest */
function tunnelRule(dest) {
  const type = TUNNEL_NAMES[dest.tunType]
  const flags = TUNNEL_FLAG_OPTIONS[dest.tunFlags]
  if (type === 'gre') return ` --tun-type gre ${flags}`
  if (type === 'gue') return ` --tun-type gue --tun-port ${dest.tunPort} ${flags}`
  return ' --tun-type ipip'
}

/** @param {Dest} dest */
function tunnelInfo(dest) {
  if (dest.fwd !== 'tunnel') return 'n/a'
  const type = TUNNEL_NAMES[dest.tunType]
  const flags = TUNNEL_FLAGS[dest.tunFlags]
  if (type === 'gue') return `gue:${dest.tunPort}:${flags}`
  if (type === 'gre') return `gre:${flags}`
  return 'ipip'
}

/** @param {Dest[]} dests */
function sortDests(dests) {
  return [...dests].sort((a, b) => compareAddresses(address(a), address(b)) || a.port - b.port)
}

/** @param {import('./kernel.mjs').Stats} s @param {Set<string>} format */
function counters(s, format) {
  return [s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes]
    .map((n) => largeNumber(n, format))
    .join('')
}

/** @param {import('./kernel.mjs').Rate} r @param {Set<string>} format */
function rates(r, format) {
  return [r.cps, r.inpps, r.outpps, r.inbps, r.outbps].map((n) => largeNumber(n, format)).join('')
}

/** print_largenum(): 9 columns, then K/M/G/T above 100 million unless --exact. */
function largeNumber(/** @type {number} */ n, /** @type {Set<string>} */ format) {
  const text = String(n)
  if (format.has('exact')) return text.padStart(text.length <= 8 ? 9 : text.length + 1)
  if (n < 1e8) return text.padStart(9)
  if (n < 1e9) return `${String(Math.floor(n / 1e3)).padStart(8)}K`
  if (n < 1e11) return `${String(Math.floor(n / 1e6)).padStart(8)}M`
  if (n < 1e14) return `${String(Math.floor(n / 1e9)).padStart(8)}G`
  return `${String(Math.floor(n / 1e12)).padStart(8)}T`
}

/** @param {{ af: 4 | 6, addr: string | null }} x @returns {import('./addr.mjs').Address} */
function address(x) {
  return { family: x.af, text: x.addr ?? '0.0.0.0' }
}

/** printf's `%-Ns`. @param {string} text @param {number} width */
function pad(text, width) {
  return text.padEnd(width)
}

/** @param {number} n */
function two(n) {
  return String(n).padStart(2, '0')
}
