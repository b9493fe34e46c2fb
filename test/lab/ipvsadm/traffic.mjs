// @ts-check
// Simulated traffic through the lab IPVS table: open and close client connections (what
// ActiveConn/InActConn and `-Lnc` show) and add to the counters and rates `--stats`/`--rate` show.
// Tests and `tandem lab` use these; the ipvsadm simulator only reads them.
import { addressPort, parseIPv4, parseIPv6 } from './addr.mjs'
import { destKey, findService, serviceKey } from './kernel.mjs'
import { tableName, updateTable } from './table.mjs'

/** TIME_WAIT entries linger this long in IPVS (not configurable with --set). */
const TIME_WAIT_MS = 120_000

/**
 * @typedef {{ protocol: 'tcp' | 'udp', address: string, port: number } | { fwmark: number, ipv6?: boolean }} VirtualRef
 * @typedef {{ address: string, port: number }} Endpoint
 */

/**
 * A client connection through `service` to real server `dest`, ESTABLISHED (TCP) or a UDP
 * entry. Returns the client address:port that names it.
 * @param {{ service: VirtualRef, dest: Endpoint, client?: string, virtual?: Endpoint }} conn
 * @param {string} [node] the director (default: the local table)
 */
export function openConnection(conn, node = tableName()) {
  return updateTable((table) => {
    const spec = serviceSpec(conn.service)
    const udp = 'protocol' in conn.service && conn.service.protocol === 'udp'
    const client = conn.client ?? `127.0.0.1:${40000 + table.conns.length}`
    const virtual = conn.virtual ?? ('address' in conn.service ? conn.service : conn.dest)
    const dest = endpoint(conn.dest)
    const timeout = udp ? table.timeouts.udp : table.timeouts.tcp
    table.conns.unshift({
      protocol: udp ? 'UDP' : 'TCP',
      service: serviceKey(spec),
      dest: destKey(dest),
      client,
      virtual: hostPort(endpoint(virtual)),
      destination: hostPort(dest),
      state: udp ? 'UDP' : 'ESTABLISHED',
      expiresAt: Date.now() + timeout * 1000,
    })
    const service = findService(table, spec)
    const server = service?.dests.find((d) => destKey(d) === destKey(dest))
    for (const item of [service, server]) if (item) item.stats.conns += 1
    return client
  }, node)
}

/**
 * The client closes: the entry goes to TIME_WAIT (inactive) and expires two minutes later
 * (`lingerMs` sooner, to show an entry that closed a while ago); a UDP entry just goes.
 * While its real server is out of the table the kernel drops the client's FIN (sysctl
 * expire_nodest_conn=0): the entry stays ESTABLISHED until the server is added back.
 * @param {string} client @param {string} [node] @param {{ lingerMs?: number }} [options]
 */
export function closeConnection(client, node = tableName(), { lingerMs = TIME_WAIT_MS } = {}) {
  updateTable((table) => {
    const conn = table.conns.find((c) => c.client === client)
    if (!conn) throw new Error(`no lab connection from ${client}`)
    const service = table.services.find((s) => serviceKey(s) === conn.service)
    if (!service?.dests.some((d) => destKey(d) === conn.dest)) {
      conn.closing = true
      return
    }
    conn.state = conn.protocol === 'UDP' ? 'UDP' : 'TIME_WAIT'
    conn.expiresAt = Date.now() + (conn.protocol === 'UDP' ? 0 : lingerMs)
  }, node)
}

/**
 * Adds packets and bytes to a service and one of its real servers, and sets their rates.
 * @param {{ service: VirtualRef, dest: Endpoint,
 *   stats?: Partial<import('./kernel.mjs').Stats>, rate?: Partial<import('./kernel.mjs').Rate> }} traffic
 * @param {string} [node]
 */
export function recordTraffic(traffic, node = tableName()) {
  updateTable((table) => {
    const service = findService(table, serviceSpec(traffic.service))
    const server = service?.dests.find((d) => destKey(d) === destKey(endpoint(traffic.dest)))
    if (!service || !server) throw new Error('recordTraffic: no such service or real server')
    for (const item of [service, server]) {
      for (const [key, value] of Object.entries(traffic.stats ?? {}))
        item.stats[/** @type {keyof typeof item.stats} */ (key)] += value ?? 0
      Object.assign(item.rate, traffic.rate ?? {})
    }
  }, node)
}

/** @param {VirtualRef} ref @returns {import('./command.mjs').ServiceSpec} */
function serviceSpec(ref) {
  const base = { sched: '', persistent: false, ops: false, schedFlags: 0, timeout: 0, pe: '' }
  if ('fwmark' in ref)
    return {
      ...base,
      af: ref.ipv6 ? 6 : 4,
      protocol: 'tcp',
      addr: null,
      port: 0,
      fwmark: ref.fwmark,
      netmask: 0,
    }
  const { af, addr } = endpoint(ref)
  return { ...base, af, protocol: ref.protocol, addr, port: ref.port, fwmark: 0, netmask: 0 }
}

/** @param {Endpoint} e @returns {{ af: 4 | 6, addr: string, port: number }} */
function endpoint(e) {
  const v4 = parseIPv4(e.address)
  if (v4) return { af: 4, addr: v4, port: e.port }
  const v6 = parseIPv6(e.address)
  if (v6) return { af: 6, addr: v6, port: e.port }
  throw new Error(`not an IP address: ${e.address}`)
}

/** @param {{ af: 4 | 6, addr: string, port: number }} e */
function hostPort(e) {
  return addressPort({ family: e.af, text: e.addr }, e.port)
}
