// The lab world for an inventory (the demo's tandem.yaml), and the edits `tandem lab` makes to it.
import type { Config } from '../../core/inventory/index.ts'
import { seedRgmanager } from './rgmanager.mjs'
import { describeStorage, seedStorage, withdraw } from './storage-seed.ts'
import { readWorld, updateWorld, type World, writeWorld } from './world.mjs'

/**
 * A healthy world for `config`: every node up, the cluster services on their first preferred
 * node, the guests on their declared hosts, every fence device behaving.
 *
 * @example
 * writeWorld(seedWorld(config))
 */
export function seedWorld(config: Config): World {
  const nodes: World['nodes'] = {}
  for (const node of config.nodes)
    nodes[node.name] = { up: true, power: 'on', address: node.address }
  const clusterNodes = config.nodes.filter((n) => n.roles.includes('cluster')).map((n) => n.name)
  const world: World = { version: 1, nodes }
  if (config.cluster?.manager === 'rgmanager') {
    const services: Record<string, { owner: string }> = {}
    for (const service of config.services) {
      const name = service.cluster?.rgmanager?.service
      const owner = service.cluster?.preferred[0] ?? clusterNodes[0]
      if (name && owner) services[name] = { owner }
    }
    world.rgmanager = seedRgmanager({ cluster: config.cluster.name, nodes: clusterNodes, services })
  }
  const hosts: Record<string, { memory: number; dom0: number }> = {}
  for (const node of config.nodes.filter((n) => n.roles.includes('hypervisor')))
    hosts[node.name] = { memory: node.memory_mib ?? 8192, dom0: 1024 }
  const domains: Record<string, unknown> = {}
  config.vms.forEach((vm, i) => {
    domains[vm.name] = {
      host: vm.host,
      state: 'running',
      memory: vm.memory_mib,
      vcpus: 1,
      id: i + 1,
      cfg: `/etc/xen/${vm.name}.cfg`,
      startedAt: Date.now(),
    }
  })
  world.xen = { hosts, domains, nextId: config.vms.length + 1 }
  world.fence = { devices: {}, calls: [] }
  world.storage = seedStorage(config)
  return world
}

/** Starts the world afresh from the inventory. */
export function resetWorld(config: Config): void {
  writeWorld(seedWorld(config))
}

/** The node crashes: it stops answering, its guests die, its power stays on until fenced. */
export function failNode(node: string): void {
  editNode(node, (n) => {
    n.up = false
  })
}

/** The node boots again (after a fence, or a fixed crash): up, powered, reachable. */
export function recoverNode(node: string): void {
  editNode(node, (n) => {
    n.up = true
    n.power = 'on'
    n.partitioned = false
    n.bootedAt = Date.now()
  })
}

/** A storage server crashes: its exports are gone for every importer (power stays on). */
export function failStorage(config: Config, server: string): void {
  const serves = config.storage.some((s) => s.kind !== 'gfs' && s.server === server)
  if (!serves) throw new Error(`[lab] ${server} exports nothing in the inventory`)
  failNode(server)
}

/** GFS withdraws on a node (an I/O or lock error): every GFS mount there turns read-only. */
export function withdrawGfs(node: string): string[] {
  let withdrawn: string[] = []
  updateWorld((world) => {
    withdrawn = withdraw(world, node)
  })
  if (withdrawn.length === 0) throw new Error(`[lab] ${node} has no GFS mounted`)
  return withdrawn
}

/** Cuts a node (or, with none given, every node: tandem's own network) off the network. */
export function partition(node?: string): void {
  updateWorld((world) => {
    for (const [name, n] of Object.entries(world.nodes))
      if (!node || name === node) n.partitioned = true
  })
}

export function heal(): void {
  updateWorld((world) => {
    for (const n of Object.values(world.nodes)) n.partitioned = false
  })
}

/** Marks a real server's port unhealthy (HTTP 500) or healthy again. */
export function setServerHealth(node: string, port: number, healthy: boolean): void {
  editNode(node, (n) => {
    const unhealthy = new Set(n.unhealthy ?? [])
    if (healthy) unhealthy.delete(port)
    else unhealthy.add(port)
    n.unhealthy = [...unhealthy]
  })
}

/** Every fence device of `node` fails (`fail`), lies about power (`lie`), or works again (`ok`). */
export function setFenceBehaviour(
  config: Config,
  node: string,
  behaviour: 'ok' | 'fail' | 'lie' | 'hang',
): string[] {
  const fencing = config.fencing.nodes.find((f) => f.node === node)
  if (!fencing) throw new Error(`[lab] ${node} has no fencing in the inventory`)
  const keys = fencing.levels.flat().map((entry) => {
    const device = config.fencing.devices.find(
      (d) => d.name === (typeof entry === 'string' ? entry : entry.device),
    )
    // fence_gnbd serves every node from one device: its behaviour is kept per victim.
    if (device?.agent === 'fence_gnbd') return `gnbd:${node}`
    return String(device?.options.ip ?? device?.name)
  })
  updateWorld((world) => {
    world.fence ??= { devices: {}, calls: [] }
    const fence = world.fence as { devices: Record<string, unknown> }
    for (const key of keys) fence.devices[key] = { behaviour }
  })
  return keys
}

/** A fence device (by its key: the ip in the inventory) takes `delayMs` for every call. */
export function slowFenceDevice(key: string, delayMs: number): void {
  updateWorld((world) => {
    world.fence ??= { devices: {}, calls: [] }
    ;(world.fence as { devices: Record<string, unknown> }).devices[key] = {
      behaviour: 'slow',
      delayMs,
    }
  })
}

/** The fence agent calls that switched (or tried to switch) `plug` off, in order. */
export function fenceOffs(plug: string): { action: string; plug?: string; at: number }[] {
  const fence = readWorld().fence as
    | { calls?: { action: string; plug?: string; at: number }[] }
    | undefined
  return (fence?.calls ?? []).filter((c) => c.action === 'off' && c.plug === plug)
}

/** A real server in the lab's IPVS table: what the director holds, not what tandem says. */
export interface LabDest {
  addr: string
  port: number
  weight: number
  fwd: string
  uthreshold?: number
  lthreshold?: number
}

/** The real server `addr` of the virtual service on `port` in the director's table, if there. */
export function labDest(port: number, addr: string, table = 'director'): LabDest | undefined {
  const ipvs = readWorld().ipvs as
    | { tables?: Record<string, { services: { port: number; dests: LabDest[] }[] }> }
    | undefined
  return ipvs?.tables?.[table]?.services
    .find((s) => s.port === port)
    ?.dests.find((d) => d.addr === addr)
}

/** A short, human summary of the world for `tandem lab show`. */
export function describeWorld(): string {
  const world = readWorld()
  const lines = Object.entries(world.nodes).map(([name, n]) => {
    const state = n.partitioned ? 'partitioned' : n.up === false ? 'DOWN' : 'up'
    return `${name.padEnd(10)} ${state.padEnd(12)} power ${n.power}${n.unhealthy?.length ? `  unhealthy ports ${n.unhealthy.join(',')}` : ''}`
  })
  const xen = world.xen as { domains?: Record<string, { host: string; state: string }> } | undefined
  for (const [name, dom] of Object.entries(xen?.domains ?? {}))
    lines.push(`guest ${name.padEnd(10)} on ${dom.host} (${dom.state})`)
  lines.push(...describeStorage(world))
  return `${lines.join('\n')}\n`
}

function editNode(node: string, change: (n: World['nodes'][string]) => void): void {
  updateWorld((world) => {
    const n = world.nodes[node]
    if (!n) throw new Error(`[lab] no node named ${node} in the lab world`)
    change(n)
  })
}
