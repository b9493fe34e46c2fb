// Read-only views over a validated config: the questions every area asks of the inventory.
import type {
  Config,
  FenceDevice,
  Node,
  NodeFencing,
  RealServer,
  Service,
  Storage,
  Vm,
} from './schema.ts'

/** A real server with the service it belongs to and its effective port and forwarding. */
export interface RealServerRef {
  service: Service
  server: RealServer
  port: number
  forwarding: 'masq' | 'route' | 'tunnel'
}

/** Lookups over one config; cheap to build, immutable once built. */
export interface Inventory {
  readonly config: Config
  node(name: string): Node | undefined
  service(name: string): Service | undefined
  vm(name: string): Vm | undefined
  storage(name: string): Storage | undefined
  /** Every real server that lives on `node`, across every LVS service. */
  realServersOn(node: string): RealServerRef[]
  /** Guests whose declared home is `host`. */
  guestsOf(host: string): Vm[]
  /** Services whose cluster placement may put them on `node` (preferred or any cluster node). */
  clusterServicesFor(node: string): Service[]
  /** True when the service sits on GFS/GNBD: it must never start elsewhere before a fence. */
  usesSharedStorage(service: Service): boolean
  fencingOf(node: string): NodeFencing | undefined
  fenceDevice(name: string): FenceDevice | undefined
}

/**
 * Builds the lookup view of a config.
 *
 * @example
 * const inv = createInventory(config)
 * inv.realServersOn('node2').map((r) => r.service.name)
 */
export function createInventory(config: Config): Inventory {
  const byName = <T extends { name: string }>(items: T[]) => new Map(items.map((i) => [i.name, i]))
  const nodes = byName(config.nodes)
  const services = byName(config.services)
  const vms = byName(config.vms)
  const storage = byName(config.storage)
  const devices = byName(config.fencing.devices)
  const fencing = new Map(config.fencing.nodes.map((f) => [f.node, f]))
  const realServers = indexRealServers(config.services)
  return {
    config,
    node: (name) => nodes.get(name),
    service: (name) => services.get(name),
    vm: (name) => vms.get(name),
    storage: (name) => storage.get(name),
    // Indexed once: probes, health and policy views ask per node, and a scan of every service
    // per question made a 10,000-service inventory take minutes to start.
    realServersOn: (node) => [...(realServers.get(node) ?? [])],
    guestsOf: (host) => config.vms.filter((vm) => vm.host === host),
    clusterServicesFor: (node) =>
      config.services.filter(
        (s) =>
          s.cluster && (s.cluster.preferred.length === 0 || s.cluster.preferred.includes(node)),
      ),
    usesSharedStorage: (service) =>
      service.storage.some((name) => {
        const kind = storage.get(name)?.kind
        return kind === 'gfs' || kind === 'gnbd' || kind === 'nbd'
      }),
    fencingOf: (node) => fencing.get(node),
    fenceDevice: (name) => devices.get(name),
  }
}

/** Every real server by the node it lives on, in config order. */
function indexRealServers(services: Service[]): Map<string, RealServerRef[]> {
  const index = new Map<string, RealServerRef[]>()
  for (const service of services)
    for (const server of service.real_servers) {
      const refs = index.get(server.node) ?? []
      refs.push({
        service,
        server,
        port: server.port ?? service.lvs?.port ?? 0,
        forwarding: server.forwarding ?? service.lvs?.forwarding ?? 'route',
      })
      index.set(server.node, refs)
    }
  return index
}
