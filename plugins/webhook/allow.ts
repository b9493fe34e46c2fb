// The outbound allow-list: which hosts a webhook may reach, and which addresses it may connect to.
import { BlockList, isIP } from 'node:net'

/** A parsed allow-list: host names (exact or `*.domain`) and address ranges. */
export interface AllowList {
  hosts: string[]
  ranges: BlockList
  hasRanges: boolean
}

/** Loopback, private, link-local, CGNAT, multicast ...: reachable only through an explicit range. */
const SPECIAL = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  SPECIAL.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  SPECIAL.addSubnet(net, prefix, 'ipv6')

/**
 * Cloud instance-metadata endpoints (AWS, GCP, Azure, OpenStack, Alibaba, Oracle): they hand out
 * credentials to whoever asks from the host, so no webhook may reach them, allow list or not.
 */
const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200']
const METADATA_HOSTS = ['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data']

/** Why `host` (a URL's host name or an IP) is a metadata endpoint, or undefined. */
export function metadataProblem(host: string): string | undefined {
  const bare = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
  if (METADATA_ADDRESSES.includes(bare) || METADATA_HOSTS.includes(bare))
    return `${bare} is a cloud metadata endpoint: a webhook may never reach it`
  return undefined
}

/** `hooks.example.com`, `*.example.com`, `192.0.2.7`, `10.1.0.0/16`, `::1/128`: a problem, or undefined. */
export function allowEntryProblem(entry: string): string | undefined {
  const [net = '', bits] = entry.split('/')
  const family = isIP(net)
  if (family && bits !== undefined) {
    if (!/^\d+$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128))
      return `"${entry}" is not a CIDR range such as 10.0.0.0/8`
    return undefined
  }
  if (isIP(entry)) return undefined
  if (/^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(entry))
    return undefined
  return `"${entry}" is neither a host name, "*.domain", an IP address nor a CIDR range`
}

export function parseAllowList(entries: readonly string[]): AllowList {
  const ranges = new BlockList()
  const hosts: string[] = []
  for (const entry of entries) {
    const [net = '', bits] = entry.split('/')
    const family = isIP(net)
    if (family)
      ranges.addSubnet(
        net,
        Number(bits ?? (family === 4 ? 32 : 128)),
        family === 4 ? 'ipv4' : 'ipv6',
      )
    else hosts.push(entry.toLowerCase())
  }
  return { hosts, ranges, hasRanges: hosts.length < entries.length }
}

/** True when the URL's host is listed by name, or is an IP literal inside a listed range. */
export function hostAllowed(list: AllowList, hostname: string): boolean {
  const family = isIP(hostname)
  if (family) return list.ranges.check(hostname, family === 4 ? 'ipv4' : 'ipv6')
  const host = hostname.toLowerCase().replace(/\.$/, '')
  return list.hosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : host === h))
}

/**
 * Why `address` may not be connected to, or undefined when it may: inside a listed range, or
 * an ordinary public address of a host allowed by name. A name that suddenly resolves to a
 * loopback or private address (DNS rebinding) is refused unless that range is listed.
 */
export function addressProblem(list: AllowList, address: string): string | undefined {
  const family = isIP(address)
  if (!family) return `${address} is not an IP address`
  const metadata = metadataProblem(address)
  if (metadata) return metadata
  const type = family === 4 ? 'ipv4' : 'ipv6'
  if (list.ranges.check(address, type)) return undefined
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (mapped) return addressProblem(list, mapped)
  if (SPECIAL.check(address, type))
    return `resolves to ${address}, a loopback/private/link-local address; list its range (e.g. ${address}/${family === 4 ? 32 : 128}) under allow to reach it`
  return undefined
}
