// Every source's fragment merged into one inventory, with the report of what was defined twice.
import type { CheckDraft, ClusterServiceDraft, Fragment, Note, Origin } from './draft.ts'
import { where } from './draft.ts'
import type { Finding } from './findings.ts'
import type { JoinedService } from './joined-service.ts'
import { type MergedLvs, mergeLvs } from './lvs-merge.ts'
import { fencingOf, storageOf } from './merge-cluster.ts'
import { createNodeRegistry, nodeName } from './nodes.ts'
import { serviceFindings } from './rules.ts'

export interface MergeOptions {
  /** Host names to addresses (an /etc/hosts file), to match cluster names with LVS addresses. */
  hosts?: Map<string, string>
  /** The node that runs the LVS tables when a source does not say (keepalived, ldirectord). */
  director?: string
}

/** The merged inventory: config input for tandem.yaml, and where each entry came from. */
export interface Adopted {
  config: Record<string, unknown>
  /** Objects of `config` → the source places they were made from, for YAML comments. */
  origins: Map<object, Origin[]>
  findings: Finding[]
  notes: Note[]
}

/**
 * Merges fragments in the order given (earlier sources win a conflict) into one inventory.
 *
 * @example
 * const adopted = mergeFragments([await parseKeepalived(f, text), parseClusterConf(g, xml)])
 */
export function mergeFragments(
  fragments: readonly Fragment[],
  options: MergeOptions = {},
): Adopted {
  const findings: Finding[] = []
  const notes = fragments.flatMap((f) => f.notes)
  const origins = new Map<object, Origin[]>()
  const nodes = createNodeRegistry(options.hosts ?? new Map(), findings)
  const cluster = clusterOf(fragments, findings, notes)
  const manager = cluster?.manager
  const inManager = (f: Fragment) => f.cluster?.manager === manager
  for (const f of fragments.filter(inManager))
    for (const n of f.nodes) nodes.resolve(n, n.at, n.role)
  for (const f of fragments.filter((f) => !f.cluster))
    for (const n of f.nodes) nodes.resolve(n, n.at, n.role)
  const lvsDrafts = fragments.flatMap((f) => f.lvs)
  const director = defaultDirector(fragments, options, nodes, notes)
  const lvs = mergeLvs(lvsDrafts, (s) => nodes.resolve({ address: s.address }, s.at), findings)
  const clusterServices = fragments.filter(inManager).flatMap((f) => f.services)
  const services = joinServices(lvs, clusterServices, findings)
  const fenced = new Set(
    fragments
      .filter(inManager)
      .flatMap((f) => f.fencing.map((n) => nodes.resolve({ name: n.node }, n.at))),
  )
  const storage = storageOf(fragments.filter(inManager), nodes, fenced, findings, notes, origins)
  const serviceInputs = services.map((s) =>
    serviceInput(s, director, nodes, storage.names, origins),
  )
  for (const s of services) findings.push(...serviceFindings(s, nodes.resolve))
  const fencing = fencingOf(fragments.filter(inManager), nodes, notes, origins)
  const vms = fragments
    .filter(inManager)
    .flatMap((f) => f.vms)
    .map((vm) => {
      const preferred = vm.preferred.map((n) => nodes.resolve({ name: n }, vm.at, 'hypervisor'))
      const host = preferred[0] ?? nodes.all().find((n) => n.roles.has('cluster'))?.name
      if (!preferred[0])
        notes.push({
          level: 'info',
          at: vm.at,
          message: `vm ${vm.name}: no failover domain, so its host is a guess (${host}); tandem reads where it runs at start`,
        })
      if (host) nodes.get(host)?.roles.add('hypervisor')
      const out = {
        name: nodeName(vm.name),
        host,
        toolstack: vm.toolstack,
        preferred: preferred.slice(1),
      }
      origins.set(out, [vm.at])
      return out
    })
    .filter((vm) => vm.host)
  const nodeInputs = nodes.all().map((n) => {
    const out = { name: n.name, address: n.address, roles: [...n.roles].sort() }
    origins.set(out, dedupe(n.at))
    return out
  })
  const config: Record<string, unknown> = { version: 1 }
  if (cluster) config.cluster = { name: nodeName(cluster.name), manager: cluster.manager }
  config.nodes = nodeInputs
  config.services = serviceInputs
  if (vms.length) config.vms = vms
  if (storage.inputs.length) config.storage = storage.inputs
  if (fencing.devices.length || fencing.nodes.length) config.fencing = fencing
  return { config, origins, findings, notes }
}

function joinServices(
  lvs: MergedLvs[],
  cluster: ClusterServiceDraft[],
  findings: Finding[],
): JoinedService[] {
  const out: JoinedService[] = []
  const used = new Set<MergedLvs>()
  for (const c of cluster) {
    // The same service written twice: the cluster's VIP is the LVS address, or the names match.
    const match = lvs.find(
      (l) =>
        !used.has(l) &&
        ((l.draft.address && c.vips.includes(l.draft.address)) ||
          (l.draft.name && nodeName(l.draft.name) === nodeName(c.name))),
    )
    if (match) {
      used.add(match)
      findings.push({
        kind: 'defined-twice',
        sites: [match.draft.at, c.at],
        message: `service ${c.name} is balanced by LVS at ${where(match.draft.at)} and run by the cluster at ${where(c.at)}`,
        result: `one service "${nodeName(c.name)}" with its lvs and its cluster placement`,
      })
    }
    out.push({ name: c.name, cluster: c, ...(match ? { lvs: match } : {}) })
  }
  for (const l of lvs) if (!used.has(l)) out.push({ name: l.draft.name ?? lvsName(l), lvs: l })
  const taken = new Set<string>()
  for (const s of out) {
    let name = nodeName(s.name)
    for (let i = 2; taken.has(name); i++) name = `${nodeName(s.name)}-${i}`
    taken.add(name)
    s.name = name
  }
  return out
}

function lvsName(l: MergedLvs): string {
  const d = l.draft
  return d.protocol === 'fwmark'
    ? `fwmark-${d.fwmark}`
    : `vs-${d.address!.replace(/[.:]/g, '-')}-${d.port}`
}

function serviceInput(
  s: JoinedService,
  director: () => string,
  nodes: ReturnType<typeof createNodeRegistry>,
  storage: Set<string>,
  origins: Map<object, Origin[]>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { name: s.name }
  const at: Origin[] = []
  if (s.lvs) {
    const d = s.lvs.draft
    at.push(d.at, ...s.lvs.also.map((a) => a.at))
    const dir = d.director ? nodes.resolve({ name: d.director }, d.at, 'director') : director()
    out.lvs = {
      director: dir,
      protocol: d.protocol,
      ...(d.protocol === 'fwmark' ? { fwmark: d.fwmark } : { address: d.address, port: d.port }),
      scheduler: d.scheduler ?? 'wlc',
      ...(d.persistence !== undefined ? { persistence: duration(d.persistence) } : {}),
      ...(d.persistenceNetmask ? { persistence_netmask: d.persistenceNetmask } : {}),
      forwarding: d.forwarding ?? s.lvs.servers[0]?.server.forwarding ?? 'route',
      ...(d.sorry ? { sorry_server: d.sorry } : {}),
    }
    const forwarding = (out.lvs as { forwarding: string }).forwarding
    out.real_servers = s.lvs.servers.map(({ server, node }) => {
      const rs = {
        node,
        ...(server.port !== undefined && server.port !== d.port ? { port: server.port } : {}),
        weight: server.weight ?? 1,
        ...(server.forwarding && server.forwarding !== forwarding
          ? { forwarding: server.forwarding }
          : {}),
        ...(server.thresholds ? { thresholds: server.thresholds } : {}),
      }
      origins.set(rs, [server.at])
      return rs
    })
    out.checks = checkInputs(s.lvs.checks, origins)
  }
  if (s.cluster) {
    const c = s.cluster
    at.push(c.at)
    const preferred = c.preferred.map((n) => nodes.resolve({ name: n }, c.domainAt ?? c.at))
    out.cluster = {
      [c.manager]: c.manager === 'rgmanager' ? { service: c.resource } : { resource: c.resource },
      ...(preferred.length ? { preferred } : {}),
    }
    const volumes = c.storage.filter((v) => storage.has(v))
    if (volumes.length) out.storage = volumes
  }
  origins.set(out, at)
  return out
}

function checkInputs(
  checks: CheckDraft[],
  origins: Map<object, Origin[]>,
): Record<string, unknown>[] {
  const names = new Set<string>()
  return checks.map((c) => {
    let name: string = c.kind
    for (let i = 2; names.has(name); i++) name = `${c.kind}-${i}`
    names.add(name)
    const out: Record<string, unknown> = { name, kind: c.kind }
    if (c.port !== undefined) out.port = c.port
    if (c.interval !== undefined) out.interval = duration(c.interval)
    if (c.timeout !== undefined) out.timeout = duration(c.timeout)
    if (c.rise !== undefined) out.rise = c.rise
    if (c.fall !== undefined) out.fall = Math.min(c.fall, 100)
    if (c.path) out.path = c.path
    if (c.hostHeader) out.host_header = c.hostHeader
    if (c.status || c.bodyContains)
      out.expect = {
        ...(c.status ? { status: c.status } : {}),
        ...(c.bodyContains ? { body_contains: c.bodyContains } : {}),
      }
    if (c.kind === 'https') out.tls = { verify: false }
    if (c.command) out.command = c.command
    origins.set(out, [c.at])
    return out
  })
}

function clusterOf(fragments: readonly Fragment[], findings: Finding[], notes: Note[]) {
  const withCluster = fragments.filter((f) => f.cluster)
  const first = withCluster[0]?.cluster
  for (const other of withCluster.slice(1)) {
    if (other.cluster!.manager === first!.manager) continue
    findings.push({
      kind: 'manager-conflict',
      sites: [first!.at, other.cluster!.at],
      message: `${where(first!.at)} is an ${first!.manager} cluster and ${where(other.cluster!.at)} a ${other.cluster!.manager} one`,
      result: `tandem manages one cluster: ${first!.manager}; import the other into its own tandem.yaml`,
    })
    notes.push({
      level: 'skipped',
      at: other.cluster!.at,
      message: `${other.file}: a second cluster manager, not imported`,
    })
  }
  return first
}

function defaultDirector(
  fragments: readonly Fragment[],
  options: MergeOptions,
  nodes: ReturnType<typeof createNodeRegistry>,
  notes: Note[],
) {
  let name: string | undefined
  return () => {
    if (name) return name
    const source = fragments.find((f) => f.kind === 'keepalived' || f.kind === 'ldirectord')!
    const at = { file: source.file, line: 1 }
    const wanted = options.director ?? 'director'
    const address = options.hosts?.get(wanted.toLowerCase())
    if (!address)
      notes.push({
        level: 'info',
        at,
        message: `the director "${wanted}" has no address in the hosts file: 127.0.0.1 (tandem runs on the director); set nodes[].address if not`,
      })
    name = nodes.resolve({ name: wanted, address: address ?? '127.0.0.1' }, at, 'director')
    return name
  }
}

/** Milliseconds as the shortest exact duration string. */
export function duration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}

function dedupe(at: Origin[]): Origin[] {
  return [...new Map(at.map((a) => [where(a), a])).values()]
}
