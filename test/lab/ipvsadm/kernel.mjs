// @ts-check
// The IPVS table as Linux 6.1 keeps it, and what its netlink commands do to it: each operation
// returns the errno the kernel would (or undefined), checked in the kernel's order.
import { isUnicast } from './addr.mjs'

/** Schedulers and persistence engines the kernel can load (those the lab VM loads). */
export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq']
SCHEDULERS.push('fo', 'ovf', 'mh')
export const PERSISTENCE_ENGINES = ['sip']

/**
 * @typedef {{ conns: number, inpkts: number, outpkts: number, inbytes: number, outbytes: number }} Stats
 * @typedef {{ cps: number, inpps: number, outpps: number, inbps: number, outbps: number }} Rate
 * @typedef {{ af: 4 | 6, addr: string, port: number, fwd: 'masq' | 'route' | 'tunnel',
 *   weight: number, uthreshold: number, lthreshold: number, tunType: number, tunPort: number,
 *   tunFlags: number, stats: Stats, rate: Rate }} Dest
 * @typedef {{ af: 4 | 6, protocol: 'tcp' | 'udp' | 'sctp', addr: string | null, port: number,
 *   fwmark: number, sched: string, persistent: boolean, ops: boolean, schedFlags: number,
 *   timeout: number, netmask: string | number, pe: string, stats: Stats, rate: Rate,
 *   dests: Dest[] }} Service
 * @typedef {{ protocol: 'TCP' | 'UDP' | 'SCTP', service: string, dest: string,
 *   client: string, virtual: string, destination: string, state: string, expiresAt: number,
 *   closing?: boolean }} Connection
 * @typedef {{ state: 'master' | 'backup', ifname: string, syncid: number }} SyncDaemon
 * @typedef {{ services: Service[], timeouts: { tcp: number, tcpfin: number, udp: number },
 *   daemons: SyncDaemon[], conns: Connection[], interfaces: string[] }} Table
 * @typedef {import('./command.mjs').ServiceSpec} ServiceSpec
 * @typedef {import('./command.mjs').DestSpec} DestSpec
 */

/** @returns {Table} A freshly loaded ip_vs module: no services, default timeouts. */
export function emptyTable() {
  return {
    services: [],
    timeouts: { tcp: 900, tcpfin: 120, udp: 300 },
    daemons: [],
    conns: [],
    interfaces: ['lo'],
  }
}

export const zeroStats = () => ({ conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 })
export const zeroRate = () => ({ cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 })

/** How the kernel finds a service: fwmark and family, or protocol, family, address and port. */
export function serviceKey(/** @type {ServiceSpec | Service} */ s) {
  return s.fwmark ? `fwm/${s.af}/${s.fwmark}` : `${s.protocol}/${s.af}/${s.addr}/${s.port}`
}

/** How a service finds one of its destinations. */
export function destKey(/** @type {{ af: number, addr: string | null, port: number }} */ d) {
  return `${d.af}/${d.addr}/${d.port}`
}

/** @param {Table} table @param {ServiceSpec} spec */
export function findService(table, spec) {
  const key = serviceKey(spec)
  return table.services.find((s) => serviceKey(s) === key)
}

/** IPVS_CMD_NEW_SERVICE. @param {Table} table @param {ServiceSpec} spec */
export function addService(table, spec) {
  if (findService(table, spec)) return 'EEXIST'
  const problem = checkEngines(spec)
  if (problem) return problem
  const af = spec.af === 6 ? 6 : 4
  table.services.push({
    af,
    protocol: spec.protocol ?? 'tcp',
    addr: spec.fwmark ? null : spec.addr,
    port: spec.fwmark ? 0 : spec.port,
    fwmark: spec.fwmark,
    ...serviceSettings(spec),
    stats: zeroStats(),
    rate: zeroRate(),
    dests: [],
  })
  return undefined
}

/** IPVS_CMD_SET_SERVICE: every setting is replaced by what ipvsadm sent. */
export function editService(/** @type {Table} */ table, /** @type {ServiceSpec} */ spec) {
  const service = findService(table, spec)
  if (!service) return 'ESRCH'
  const problem = checkEngines(spec)
  if (problem) return problem
  Object.assign(service, serviceSettings(spec))
  return undefined
}

/**
 * IPVS_CMD_DEL_SERVICE. Its connections live on, and their destinations wait in the kernel's
 * trash: the same service and server added again within their lifetime show them again.
 */
export function deleteService(/** @type {Table} */ table, /** @type {ServiceSpec} */ spec) {
  const service = findService(table, spec)
  if (!service) return 'ESRCH'
  table.services.splice(table.services.indexOf(service), 1)
  return undefined
}

/** IPVS_CMD_FLUSH (connections stay, as for deleteService). @param {Table} table */
export function flush(table) {
  table.services.splice(0)
}

/** IPVS_CMD_ZERO: counters and rates of one service (and its destinations), or of all. */
export function zero(/** @type {Table} */ table, /** @type {ServiceSpec | undefined} */ spec) {
  const services = spec ? [findService(table, spec)] : table.services
  if (services[0] === undefined && spec) return 'ESRCH'
  for (const service of services) {
    if (!service) continue
    for (const item of [service, ...service.dests]) {
      item.stats = zeroStats()
      item.rate = zeroRate()
    }
  }
  return undefined
}

/** IPVS_CMD_NEW_DEST. @param {Table} table @param {ServiceSpec} spec @param {DestSpec} d */
export function addDest(table, spec, d) {
  const service = findService(table, spec)
  if (!service) return 'ESRCH'
  if (d.af !== service.af && d.fwd !== 'tunnel') return 'EINVAL'
  if (d.lthreshold > d.uthreshold) return 'ERANGE'
  if (findDest(service, d)) return 'EEXIST'
  if (!isUnicast({ family: d.af === 6 ? 6 : 4, text: d.addr ?? '' })) return 'EINVAL'
  service.dests.push({
    af: d.af === 6 ? 6 : 4,
    addr: d.addr ?? '',
    port: d.port,
    ...destSettings(d),
    stats: zeroStats(),
    rate: zeroRate(),
  })
  finishPendingCloses(table, serviceKey(service), destKey(d))
  return undefined
}

/**
 * Clients that closed while their server was out of the table keep resending FIN; once it is
 * back (revived from the trash) the next one gets through and the entry enters TIME_WAIT.
 * @param {Table} table @param {string} service @param {string} dest
 */
function finishPendingCloses(table, service, dest) {
  for (const conn of table.conns) {
    if (!conn.closing || conn.service !== service || conn.dest !== dest) continue
    conn.closing = false
    conn.state = 'TIME_WAIT'
    conn.expiresAt = Date.now() + 120_000
  }
}

/** IPVS_CMD_SET_DEST: forwarding, weight, thresholds and tunnel settings all come from ipvsadm. */
export function editDest(
  /** @type {Table} */ table,
  /** @type {ServiceSpec} */ spec,
  /** @type {DestSpec} */ d,
) {
  const service = findService(table, spec)
  if (!service) return 'ESRCH'
  if (d.af !== service.af && d.fwd !== 'tunnel') return 'EINVAL'
  if (d.lthreshold > d.uthreshold) return 'ERANGE'
  const dest = findDest(service, d)
  if (!dest) return 'ENOENT'
  Object.assign(dest, destSettings(d))
  return undefined
}

/** IPVS_CMD_DEL_DEST; connections keep pointing at it (the kernel's trash), as for services. */
export function deleteDest(
  /** @type {Table} */ table,
  /** @type {ServiceSpec} */ spec,
  /** @type {DestSpec} */ d,
) {
  const service = findService(table, spec)
  if (!service) return 'ESRCH'
  const dest = findDest(service, d)
  if (!dest) return 'ENOENT'
  service.dests.splice(service.dests.indexOf(dest), 1)
  return undefined
}

/** IPVS_CMD_SET_CONFIG: a zero leaves that timeout as it was. @param {Table} table @param {number[]} t */
export function setTimeouts(table, [tcp = 0, tcpfin = 0, udp = 0]) {
  if (tcp) table.timeouts.tcp = tcp
  if (tcpfin) table.timeouts.tcpfin = tcpfin
  if (udp) table.timeouts.udp = udp
  return undefined
}

/** IPVS_CMD_NEW_DAEMON. @param {Table} table @param {{ state: string, ifname: string, syncid: number }} d */
export function startDaemon(table, d) {
  if (table.daemons.some((x) => x.state === d.state)) return 'EEXIST'
  if (!table.interfaces.includes(d.ifname)) return 'ENODEV'
  table.daemons.push({
    state: d.state === 'backup' ? 'backup' : 'master',
    ifname: d.ifname,
    syncid: d.syncid,
  })
  return undefined
}

/** IPVS_CMD_DEL_DAEMON. @param {Table} table @param {{ state: string }} d */
export function stopDaemon(table, d) {
  const at = table.daemons.findIndex((x) => x.state === d.state)
  if (at < 0) return 'ESRCH'
  table.daemons.splice(at, 1)
  return undefined
}

/** Active (TCP established) and inactive connections per destination of a service. */
export function connectionCounts(
  /** @type {Table} */ table,
  /** @type {Service} */ service,
  /** @type {Dest} */ dest,
) {
  const key = serviceKey(service)
  const mine = table.conns.filter((c) => c.service === key && c.dest === destKey(dest))
  const active = mine.filter((c) => c.protocol !== 'UDP' && c.state === 'ESTABLISHED').length
  return { active, inactive: mine.length - active }
}

/** @param {Service} service @param {{ af: number, addr: string | null, port: number }} d */
function findDest(service, d) {
  const key = destKey(d)
  return service.dests.find((x) => destKey(x) === key)
}

/** @param {ServiceSpec} spec */
function checkEngines(spec) {
  if (!SCHEDULERS.includes(spec.sched)) return 'ENOENT'
  if (spec.pe && !PERSISTENCE_ENGINES.includes(spec.pe)) return 'ENOENT'
  return undefined
}

/** @param {ServiceSpec} spec */
function serviceSettings(spec) {
  const { sched, persistent, ops, schedFlags, timeout, netmask, pe } = spec
  return { sched, persistent, ops, schedFlags, timeout, netmask, pe }
}

/** @param {DestSpec} d */
function destSettings(d) {
  const { fwd, weight, uthreshold, lthreshold, tunType, tunPort, tunFlags } = d
  return { fwd, weight, uthreshold, lthreshold, tunType, tunPort, tunFlags }
}
