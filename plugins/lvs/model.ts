// The IPVS table as the lvs plugin sees it: virtual services, real servers, and how each is
// named on ipvsadm's command line (`-t 192.0.2.10:80`, `-r [2001:db8::2]:8080`).

export type Forwarding = 'masq' | 'route' | 'tunnel'

/** How a virtual service is addressed: protocol + address + port, or a firewall mark. */
export type ServiceRef =
  | { protocol: 'tcp' | 'udp' | 'sctp'; address: string; port: number }
  | { protocol: 'fwmark'; fwmark: number; ipv6: boolean }

/** Tunnel encapsulation of a tunnelled real server (`--tun-type` and friends). */
export interface TunnelOptions {
  type: 'ipip' | 'gue' | 'gre'
  port?: number
  checksum?: 'nocsum' | 'csum' | 'remcsum'
}

/** Everything `ipvsadm -A/-E` sets; `-E` resets whatever it is not given, so edits pass it all. */
export interface VirtualService {
  ref: ServiceRef
  scheduler: string
  /** Persistence timeout in seconds, or null when not persistent. */
  persistence: number | null
  /** Persistence granularity (`-M`): an IPv4 mask or an IPv6 prefix length; null = host. */
  netmask: string | null
  pe: string | null
  /** One-packet scheduling (`-o`). */
  ops: boolean
  /** Scheduler flags as ipvsadm spells them (`sh-port,sh-fallback`), or null. */
  schedFlags: string | null
}

/** Everything `ipvsadm -a/-e` sets; `-e` resets whatever it is not given, so edits pass it all. */
export interface RealServer {
  address: string
  port: number
  forwarding: Forwarding
  weight: number
  /** Upper and lower connection thresholds (`-x`/`-y`); 0 = none. */
  upper: number
  lower: number
  /** Set for tunnelled servers; ipip unless the table says otherwise. */
  tunnel: TunnelOptions | null
}

/** A real server as read from the kernel, with its connection counts. */
export interface LiveServer extends RealServer {
  active: number
  inactive: number
}

export interface LiveService extends VirtualService {
  servers: LiveServer[]
}

/** The whole IPVS table of one director. */
export type IpvsTable = LiveService[]

/** ipvsadm's virtual-service arguments: `['-t', '192.0.2.10:80']`, `['-f', '42', '-6']`. */
export function serviceArgs(ref: ServiceRef): string[] {
  if (ref.protocol === 'fwmark') return ['-f', String(ref.fwmark), ...(ref.ipv6 ? ['-6'] : [])]
  const flag = { tcp: '-t', udp: '-u', sctp: '--sctp-service' }[ref.protocol]
  return [flag, hostPort(ref.address, ref.port)]
}

/** A stable key for a virtual service: its ipvsadm arguments, e.g. `-t 192.0.2.10:80`. */
export function serviceId(ref: ServiceRef): string {
  return serviceArgs(ref).join(' ')
}

/** `192.0.2.1:80` or `[2001:db8::1]:80`, as ipvsadm prints and reads them. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}

/** A real server's key inside its service: its address and port. */
export function serverId(server: { address: string; port: number }): string {
  return hostPort(server.address, server.port)
}

/** Splits `a.b.c.d:port` or `[v6]:port`. */
export function splitHostPort(text: string): { address: string; port: number } | undefined {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text)
  if (!match) return undefined
  return { address: match[1] ?? '', port: Number(match[2]) }
}

/** Finds a service of the table by reference. */
export function findService(table: IpvsTable, ref: ServiceRef): LiveService | undefined {
  const id = serviceId(ref)
  return table.find((s) => serviceId(s.ref) === id)
}

/** Finds a real server of a service by address and port. */
export function findServer<T extends { address: string; port: number }>(
  servers: readonly T[],
  target: { address: string; port: number },
): T | undefined {
  const id = serverId(target)
  return servers.find((s) => serverId(s) === id)
}
