// From inventory names to IPVS terms: a service's virtual service on its director, and each real
// server's address, port, forwarding, weight and thresholds as the kernel will hold them.
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import type { Inventory } from '../../core/plugin/index.ts'
import { lvsError } from './errors.ts'
import type { Forwarding, RealServer, ServiceRef, VirtualService } from './model.ts'

type Service = NonNullable<ReturnType<Inventory['service']>>
type Lvs = NonNullable<Service['lvs']>

/** One real server of a service: its inventory node and what the kernel should hold. */
export interface DesiredServer {
  node: string
  server: RealServer
  /** The inventory does not say (so edits keep whatever the kernel has). */
  thresholdsDeclared: boolean
}

/** An inventory service with an `lvs` block, resolved to kernel terms. */
export interface LvsTarget {
  name: string
  director: string
  service: VirtualService
  servers: DesiredServer[]
  sorry: RealServer | null
}

/**
 * Resolves `name` (and its real servers' node addresses) for ipvsadm.
 *
 * @example
 * const web = await resolveTarget(ctx.inventory, 'web')
 * web.servers.find((s) => s.node === 'node2')?.server.weight
 */
export async function resolveTarget(inventory: Inventory, name: string): Promise<LvsTarget> {
  const service = inventory.service(name)
  if (!service) throw lvsError('UNKNOWN_SERVICE', `no service named "${name}" in the inventory`)
  const lvs = service.lvs
  if (!lvs) throw lvsError('NOT_AN_LVS_SERVICE', `service "${name}" has no lvs block`)
  const ref = await serviceRef(lvs, name)
  const servers: DesiredServer[] = []
  for (const rs of service.real_servers) {
    const node = inventory.node(rs.node)
    if (!node) throw lvsError('UNKNOWN_REAL_SERVER', `no node named "${rs.node}" (service ${name})`)
    const forwarding = rs.forwarding ?? lvs.forwarding
    const server = realServer(ref, await resolveAddress(node.address), rs.port, forwarding)
    server.weight = rs.weight
    server.upper = rs.thresholds?.upper ?? 0
    server.lower = rs.thresholds?.lower ?? 0
    servers.push({ node: rs.node, server, thresholdsDeclared: rs.thresholds !== undefined })
  }
  const sorry = lvs.sorry_server
    ? realServer(
        ref,
        await resolveAddress(lvs.sorry_server.address),
        lvs.sorry_server.port,
        lvs.forwarding,
      )
    : null
  return { name, director: lvs.director, service: virtualService(ref, lvs), servers, sorry }
}

/** The real server of `target` on inventory node `node`. */
export function serverOn(target: LvsTarget, node: string): DesiredServer {
  const found = target.servers.find((s) => s.node === node)
  if (!found)
    throw lvsError(
      'UNKNOWN_REAL_SERVER',
      `node "${node}" is not a real server of "${target.name}" (it has ${target.servers.map((s) => s.node).join(', ')})`,
    )
  return found
}

/**
 * A real server as the kernel will store it: direct routing and tunnelling cannot change the
 * port (ipvsadm forces the service's), so only masquerading keeps a port of its own.
 */
function realServer(
  ref: ServiceRef,
  address: string,
  port: number | undefined,
  forwarding: Forwarding,
): RealServer {
  const servicePort = ref.protocol === 'fwmark' ? 0 : ref.port
  const effective =
    ref.protocol !== 'fwmark' && forwarding !== 'masq' ? servicePort : (port ?? servicePort)
  return {
    address,
    port: effective,
    forwarding,
    weight: 1,
    upper: 0,
    lower: 0,
    tunnel: forwarding === 'tunnel' ? { type: 'ipip' } : null,
  }
}

async function serviceRef(lvs: Lvs, name: string): Promise<ServiceRef> {
  if (lvs.protocol === 'fwmark') {
    const ipv6 = lvs.address !== undefined && isIP(lvs.address) === 6
    return { protocol: 'fwmark', fwmark: lvs.fwmark ?? 0, ipv6 }
  }
  if (lvs.address === undefined || lvs.port === undefined)
    throw lvsError('NOT_AN_LVS_SERVICE', `service "${name}" needs lvs.address and lvs.port`)
  return { protocol: lvs.protocol, address: await resolveAddress(lvs.address), port: lvs.port }
}

/** Settings the inventory declares; the rest (pe, ops, scheduler flags) it leaves alone. */
function virtualService(ref: ServiceRef, lvs: Lvs): VirtualService {
  const persistent = lvs.persistence !== undefined
  return {
    ref,
    scheduler: lvs.scheduler,
    persistence: persistent ? Math.max(1, Math.round((lvs.persistence ?? 0) / 1000)) : null,
    netmask: persistent ? (lvs.persistence_netmask ?? null) : null,
    pe: null,
    ops: false,
    schedFlags: null,
  }
}

/** The address ipvsadm will print: IPv6 in its shortest form; host names looked up once. */
async function resolveAddress(host: string): Promise<string> {
  const bare = host.replace(/^\[(.*)\]$/, '$1')
  if (isIP(bare) === 4) return bare
  if (isIP(bare) === 6) return new URL(`http://[${bare}]/`).hostname.slice(1, -1)
  try {
    return (await lookup(bare, { family: 4 })).address
  } catch (cause) {
    throw lvsError('UNKNOWN_REAL_SERVER', `cannot resolve host "${host}"`, cause)
  }
}
