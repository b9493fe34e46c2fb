// Reads ipvsadm's output: the rules of `-S -n` and the per-server columns of `-Ln` listings
// (plain, --thresholds, --stats, --rate). Unknown lines are refused, never guessed at.
import type {
  Forwarding,
  IpvsTable,
  LiveServer,
  LiveService,
  ServiceRef,
  TunnelOptions,
} from './model.ts'
import { serviceId, splitHostPort } from './model.ts'

/** Thrown when ipvsadm printed something this parser does not understand. */
export class OutputError extends Error {
  override name = 'OutputError'
}

/**
 * The table from `ipvsadm -S -n`: services with their settings, real servers with forwarding,
 * weight and tunnel options (thresholds and connections are not in this format: 0 here).
 */
export function parseSave(text: string): IpvsTable {
  const table: IpvsTable = []
  const byId = new Map<string, LiveService>()
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const words = line.trim().split(/\s+/)
    const [command, ...rest] = words
    if (command === '-A') {
      const service = parseServiceRule(rest, line)
      table.push(service)
      byId.set(serviceId(service.ref), service)
    } else if (command === '-a') {
      const { ref, server } = parseServerRule(rest, line)
      const service = byId.get(serviceId(ref))
      if (!service) throw new OutputError(`real server before its service: ${line}`)
      service.servers.push(server)
    } else {
      throw new OutputError(`unexpected line in ipvsadm -S -n: ${line}`)
    }
  }
  return table
}

/** One service of an `-Ln` listing: the columns after its name, and each server's columns. */
export interface ListedService {
  columns: string[]
  servers: Map<string, string[]>
}

/**
 * The columns of any `-Ln` listing (plain, --thresholds, --stats, --rate), keyed by service
 * and server; the caller knows which listing it asked for and so what they mean.
 */
export function parseListing(text: string): Map<string, ListedService> {
  const rows = new Map<string, ListedService>()
  let current: ListedService | undefined
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('IP Virtual Server') || line.startsWith('Prot ')) continue
    if (line.startsWith('  -> RemoteAddress')) continue
    const words = line.trim().split(/\s+/)
    if (line.startsWith('  -> ')) {
      if (!current) throw new OutputError(`real server before its service: ${line}`)
      current.servers.set(words[1] ?? '', words.slice(2))
      continue
    }
    const listed = listedService(words)
    if (!listed) throw new OutputError(`unexpected line in ipvsadm -Ln: ${line}`)
    current = { columns: listed.columns, servers: new Map() }
    rows.set(serviceId(listed.ref), current)
  }
  return rows
}

/** A listing count: plain digits, or ipvsadm's K/M/G/T abbreviations (without --exact). */
export function parseCount(text: string | undefined): number {
  const match = /^(\d+)([KMGT]?)$/.exec(text ?? '')
  if (!match) throw new OutputError(`not a count: ${text}`)
  const scale = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[match[2] as '']
  return Number(match[1]) * scale
}

function parseServiceRule(words: string[], line: string): LiveService {
  const { ref, rest } = parseRef(words, line)
  const service: LiveService = {
    ref,
    scheduler: '',
    persistence: null,
    netmask: null,
    pe: null,
    ops: false,
    schedFlags: null,
    servers: [],
  }
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]
    const value = rest[i + 1]
    if (word === '-o') service.ops = true
    else if (value === undefined) throw new OutputError(`unexpected service rule: ${line}`)
    else if (word === '-s') service.scheduler = value
    else if (word === '-p') service.persistence = Number(value)
    else if (word === '-M') service.netmask = value
    else if (word === '--pe') service.pe = value
    else if (word === '-b') service.schedFlags = value
    else throw new OutputError(`unexpected service rule: ${line}`)
    if (word !== '-o') i++
  }
  return service
}

function parseServerRule(words: string[], line: string): { ref: ServiceRef; server: LiveServer } {
  const { ref, rest } = parseRef(words, line)
  const [flag, target, method, ...options] = rest
  const where = splitHostPort(target ?? '')
  const forwarding = ({ '-m': 'masq', '-g': 'route', '-i': 'tunnel' } as const)[method ?? '']
  if (flag !== '-r' || !where || !forwarding) throw new OutputError(`unexpected rule: ${line}`)
  const server: LiveServer = {
    ...where,
    forwarding: forwarding as Forwarding,
    weight: 0,
    upper: 0,
    lower: 0,
    tunnel: forwarding === 'tunnel' ? { type: 'ipip' } : null,
    active: 0,
    inactive: 0,
  }
  for (let i = 0; i < options.length; i++) {
    const word = options[i]
    const value = options[i + 1]
    if (word === '-w') server.weight = Number(value)
    else if (word === '--tun-type') server.tunnel = { type: value as TunnelOptions['type'] }
    else if (word === '--tun-port' && server.tunnel) server.tunnel.port = Number(value)
    else if (/^--tun-(nocsum|csum|remcsum)$/.test(word ?? '') && server.tunnel) {
      server.tunnel.checksum = (word ?? '').slice(6) as TunnelOptions['checksum']
      continue
    } else throw new OutputError(`unexpected real server rule: ${line}`)
    i++
  }
  return { ref, server }
}

function parseRef(words: string[], line: string): { ref: ServiceRef; rest: string[] } {
  const [flag, value = '', ...rest] = words
  if (flag === '-f') {
    const ipv6 = rest[0] === '-6'
    return {
      ref: { protocol: 'fwmark', fwmark: Number(value), ipv6 },
      rest: rest.slice(ipv6 ? 1 : 0),
    }
  }
  const protocol = ({ '-t': 'tcp', '-u': 'udp', '--sctp-service': 'sctp' } as const)[flag ?? '']
  const where = splitHostPort(value)
  if (!protocol || !where) throw new OutputError(`unexpected virtual service: ${line}`)
  return { ref: { protocol, ...where }, rest }
}

/** `TCP  192.0.2.10:80 ...` or `FWM  42 [IPv6] ...` of a listing, and the columns after it. */
function listedService(words: string[]): { ref: ServiceRef; columns: string[] } | undefined {
  const [kind, value = ''] = words
  if (kind === 'FWM') {
    const ipv6 = words[2] === 'IPv6'
    const ref: ServiceRef = { protocol: 'fwmark', fwmark: Number(value), ipv6 }
    return { ref, columns: words.slice(ipv6 ? 3 : 2) }
  }
  const protocol = ({ TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' } as const)[kind ?? '']
  const where = splitHostPort(value)
  return protocol && where ? { ref: { protocol, ...where }, columns: words.slice(2) } : undefined
}
