// Live facts from plugin probes (IPVS weights, service owners, guest hosts), kept as the store has them.
import type { HealthState } from '../events/index.ts'
import type {
  ExportFacts,
  LiveFacts,
  LvsFacts,
  MountFacts,
  PlacementFacts,
  VmFacts,
} from '../plugin/index.ts'
import { type HealthRow, healthTarget } from './rows.ts'

/** What a `service/<name>` row's detail says of the live world (besides its health counts). */
export interface ServiceFactsDetail {
  /** The node running it now (cluster-placed services), null when it runs nowhere. */
  owner?: string | null
  /** Where it ran last (rgmanager's last owner), when the cluster says. */
  lastOwner?: string | null
  /** The cluster manager's word on it: `started`, `stopped`, `failed`, `Started` … */
  ownerState?: string
  /** The virtual service is in the director's IPVS table. */
  inIpvs?: boolean
  /** Real servers in the IPVS table by node, with the weight the kernel has now. */
  realServers?: Record<string, { weight: number }>
  /** `service.stopped` was raised (it runs nowhere while its last owner is back); `service.started` ends it. */
  runsNowhere?: boolean
}

/**
 * The cluster manager's words for a service it stopped for recovery and may start again:
 * rgmanager's `stopped` / `recoverable`. Not `disabled` (a person's choice) nor `failed` (it
 * must be disabled first: a person looks).
 */
const RESTARTABLE = ['stopped', 'recoverable']

/** What a `vm/<name>` row says: its state as health reads it, and where it runs. */
export interface VmRow {
  state: HealthState
  since: number
  /**
   * `lastHost`: the last host seen running it alone (its `host` while it runs), kept when its host
   * stops answering, so a policy still finds the guest on the node that died.
   */
  detail: { host: string | null; hosts: string[]; domain: string; lastHost: string | null }
}

type Kind = keyof LiveFacts

/** The storage facts health builds `storage/<name>` rows from. */
export interface StorageFacts {
  exports: ReadonlyMap<string, ExportFacts>
  mounts: ReadonlyMap<string, MountFacts>
}
type Fact = LvsFacts | PlacementFacts | VmFacts | ExportFacts | MountFacts

/**
 * The live facts as last written, and what each source reported. With several sources for one
 * subject (two membership checks), the first by target name that reports it wins, so sources
 * that disagree do not rewrite the row every interval. A source whose probe failed reports
 * nothing: its subjects keep their last known facts (stale beats invented).
 */
export class FactsBook {
  private readonly services = new Map<string, ServiceFactsDetail>()
  private readonly vms = new Map<string, VmRow>()
  private readonly exports = new Map<string, ExportFacts>()
  private readonly mounts = new Map<string, MountFacts>()
  /** VMs whose last event was vm.down (or whose stored row is down): vm.up ends that. */
  private readonly vmsDown = new Set<string>()
  /** `kind/subject` → source target id → fact. */
  private readonly reports = new Map<string, Map<string, Fact>>()
  /** Source target id → the `kind/subject` keys its last result reported. */
  private readonly bySource = new Map<string, Set<string>>()
  /** Counts the changes of this book: `version` before a read of the store dates what it read. */
  private changes = 0
  /** Row target (`service/<name>`, `vm/<name>`, or `storage` for all of them) → its last change. */
  private readonly changedAt = new Map<string, number>()

  get version(): number {
    return this.changes
  }

  /**
   * Takes the facts the store holds as what was written, so a restart (or serverless tick)
   * rewrites nothing, and an instance that starts recording rows another one wrote (or that
   * it learned while another one recorded them) rewrites where the store differs, at the
   * source's next result. `unchangedSince` (a `version` taken before the rows were read) spares
   * what changed here after that: the rows may be older than it. Returns whether the storage
   * facts are unchanged since then, so their rows may be taken too.
   */
  restore(rows: readonly HealthRow[], unchangedSince = this.changes): boolean {
    const unchanged = (target: string) => (this.changedAt.get(target) ?? 0) <= unchangedSince
    const stored = new Set<string>()
    for (const row of rows) {
      if (!unchanged(row.target)) continue
      if (row.kind === 'service') {
        stored.add(row.target)
        const facts = pickServiceFacts(row.detail ?? {})
        const name = row.target.slice('service/'.length)
        if (Object.keys(facts).length > 0) this.services.set(name, facts)
        else this.services.delete(name)
      } else if (row.kind === 'vm' && row.target.startsWith('vm/')) {
        stored.add(row.target)
        const name = row.target.slice('vm/'.length)
        if (row.state === 'down') this.vmsDown.add(name)
        else this.vmsDown.delete(name)
        this.vms.set(name, { state: row.state, since: row.since, detail: vmDetail(row.detail) })
      }
    }
    // Facts learned while another instance recorded the rows: never written, so not yet known.
    for (const name of this.services.keys())
      if (!stored.has(`service/${name}`) && unchanged(`service/${name}`)) this.services.delete(name)
    for (const name of this.vms.keys())
      if (!stored.has(`vm/${name}`) && unchanged(`vm/${name}`)) this.vms.delete(name)
    return unchanged('storage')
  }

  /** True once `source` reported facts: its later results (even failures) must be applied. */
  knows(source: string): boolean {
    return this.bySource.has(source)
  }

  /**
   * Applies one result of `source` (facts undefined: its probe failed). Returns the services and
   * VMs whose stored facts changed; their rows must be written.
   */
  apply(
    source: string,
    facts: LiveFacts | undefined,
    now: number,
  ): { services: string[]; vms: string[]; storage: boolean } {
    const before = this.bySource.get(source) ?? new Set<string>()
    const after = new Set<string>()
    for (const kind of ['lvs', 'placement', 'vms', 'exports', 'mounts'] as const)
      for (const [subject, fact] of Object.entries(facts?.[kind] ?? {})) {
        const key = `${kind}/${subject}`
        after.add(key)
        const sources = this.reports.get(key) ?? new Map<string, Fact>()
        this.reports.set(key, sources.set(source, fact))
      }
    for (const key of before) if (!after.has(key)) this.reports.get(key)?.delete(source)
    this.bySource.set(source, after)
    const changed = { services: [] as string[], vms: [] as string[], storage: false }
    for (const key of new Set([...before, ...after])) {
      const [kind, subject] = splitKey(key)
      const fact = this.chosen(key)
      if (!fact) continue
      if (kind === 'vms') {
        if (this.setVm(subject, fact as VmFacts, now)) changed.vms.push(subject)
      } else if (kind === 'exports' || kind === 'mounts') {
        if (this.setStorage(kind, subject, fact as ExportFacts | MountFacts)) changed.storage = true
      } else if (this.setService(kind, subject, fact as LvsFacts | PlacementFacts))
        changed.services.push(subject)
    }
    return changed
  }

  /** The live part of a service row's detail (empty when nothing was ever reported). */
  serviceDetail(name: string): ServiceFactsDetail {
    return this.services.get(name) ?? {}
  }

  /** Services a cluster manager places (their facts carry an owner state). */
  placed(): string[] {
    return [...this.services].filter(([, f]) => f.ownerState !== undefined).map(([name]) => name)
  }

  vm(name: string): VmRow | undefined {
    return this.vms.get(name)
  }

  /** Takes the storage facts stored rows stand for (see factsFromRows). */
  restoreStorage(stored: StorageFacts): void {
    for (const [key, fact] of stored.exports) this.exports.set(key, fact)
    for (const [key, fact] of stored.mounts) this.mounts.set(key, fact)
  }

  /** The storage facts as last reported: exports by name, mounts by `<volume>/<node>`. */
  storage(): StorageFacts {
    return { exports: this.exports, mounts: this.mounts }
  }

  private setStorage(kind: 'exports' | 'mounts', key: string, fact: ExportFacts | MountFacts) {
    const table = (kind === 'exports' ? this.exports : this.mounts) as Map<string, typeof fact>
    if (sameJson(table.get(key), fact)) return false
    table.set(key, fact)
    this.touch('storage')
    return true
  }

  private touch(target: string): void {
    this.changedAt.set(target, ++this.changes)
  }

  private chosen(key: string): Fact | undefined {
    const sources = this.reports.get(key)
    if (!sources || sources.size === 0) return undefined
    const first = [...sources.keys()].sort()[0]!
    return sources.get(first)
  }

  private setService(kind: 'lvs' | 'placement', name: string, fact: LvsFacts | PlacementFacts) {
    const old = this.services.get(name) ?? {}
    const next: ServiceFactsDetail = { ...old }
    if (kind === 'placement') {
      const { owner, lastOwner, state } = fact as PlacementFacts
      next.owner = owner
      next.lastOwner = lastOwner ?? null
      next.ownerState = state
    } else {
      const { present, servers } = fact as LvsFacts
      next.inIpvs = present
      next.realServers = Object.fromEntries(
        Object.keys(servers)
          .sort()
          .map((node) => [node, { weight: servers[node]!.weight }]),
      )
    }
    if (sameJson(old, next)) return false
    this.services.set(name, next)
    this.touch(`service/${name}`)
    return true
  }

  /**
   * The event a VM's new state calls for, once: `vm.down` when it comes to run nowhere while
   * every hypervisor answers (a dark host makes it `unreachable`: node-down-failover's case),
   * `vm.up` when it runs again after a `vm.down` (on one host or, degraded, on several).
   */
  vmEvent(name: string): 'vm.down' | 'vm.up' | undefined {
    const state = this.vms.get(name)?.state
    if (state === 'down' && !this.vmsDown.has(name)) {
      this.vmsDown.add(name)
      this.touch(`vm/${name}`)
      return 'vm.down'
    }
    if ((state === 'up' || state === 'degraded') && this.vmsDown.delete(name)) {
      this.touch(`vm/${name}`)
      return 'vm.up'
    }
    return undefined
  }

  /**
   * The event a cluster service's placement calls for, once: `service.stopped` when it runs
   * nowhere, stopped for recovery, while the member it last ran on is back (`member`): that
   * member crashed and rejoined before any failover, and the cluster manager left the service
   * stopped. A last owner that is not back is node-down-failover's, after a fence.
   * `service.started` when it runs again after that. The mark is kept in the row (`runsNowhere`),
   * so a restart neither raises it twice nor loses its end.
   */
  placementEvent(
    name: string,
    member: (node: string) => boolean,
  ): 'service.stopped' | 'service.started' | undefined {
    const fact = this.services.get(name)
    if (!fact || fact.ownerState === undefined) return undefined
    if (fact.owner) {
      if (!fact.runsNowhere) return undefined
      const { runsNowhere: _ended, ...rest } = fact
      this.services.set(name, rest)
      this.touch(`service/${name}`)
      return 'service.started'
    }
    if (fact.runsNowhere || !RESTARTABLE.includes(fact.ownerState)) return undefined
    if (typeof fact.lastOwner !== 'string' || !member(fact.lastOwner)) return undefined
    this.services.set(name, { ...fact, runsNowhere: true })
    this.touch(`service/${name}`)
    return 'service.stopped'
  }

  private setVm(name: string, fact: VmFacts, now: number): boolean {
    const old = this.vms.get(name)
    const lastHost = fact.host ?? old?.detail.lastHost ?? null
    const detail = { host: fact.host, hosts: [...fact.hosts].sort(), domain: fact.state, lastHost }
    const state = vmState(fact)
    if (old && old.state === state && sameJson(old.detail, detail)) return false
    this.vms.set(name, { state, since: old && old.state === state ? old.since : now, detail })
    this.touch(`vm/${name}`)
    return true
  }
}

/** The row of a VM as the engine writes it. */
export function vmHealthRow(name: string, row: VmRow, now: number): HealthRow {
  return {
    target: healthTarget.vm(name),
    kind: 'vm',
    state: row.state,
    stateType: 'hard',
    flapping: false,
    since: Math.round(row.since),
    detail: { ...row.detail },
    flapHistory: null,
    updatedAt: Math.round(now),
  }
}

/**
 * A guest's health from what the hypervisors say: `up` running (or blocked: waiting for I/O) on
 * one host, `degraded` paused or alive on several hosts, `unreachable` when only hosts that did
 * not answer could run it, `down` when it runs nowhere.
 */
function vmState(fact: VmFacts): HealthState {
  if (fact.hosts.length > 1) return 'degraded'
  if (fact.state === 'unreachable') return 'unreachable'
  if (fact.hosts.length === 0) return 'down'
  return fact.state === 'running' || fact.state === 'blocked' ? 'up' : 'degraded'
}

function vmDetail(detail: Record<string, unknown> | null): VmRow['detail'] {
  const { host, hosts, domain, lastHost } = detail ?? {}
  return {
    host: typeof host === 'string' ? host : null,
    hosts: Array.isArray(hosts) ? hosts.filter((h) => typeof h === 'string') : [],
    domain: typeof domain === 'string' ? domain : 'unknown',
    lastHost: typeof lastHost === 'string' ? lastHost : typeof host === 'string' ? host : null,
  }
}

function pickServiceFacts(detail: Record<string, unknown>): ServiceFactsDetail {
  const out: ServiceFactsDetail = {}
  if (typeof detail.owner === 'string' || detail.owner === null) out.owner = detail.owner
  if (typeof detail.lastOwner === 'string' || detail.lastOwner === null)
    out.lastOwner = detail.lastOwner
  if (typeof detail.ownerState === 'string') out.ownerState = detail.ownerState
  if (typeof detail.inIpvs === 'boolean') out.inIpvs = detail.inIpvs
  if (detail.realServers && typeof detail.realServers === 'object')
    out.realServers = detail.realServers as ServiceFactsDetail['realServers']
  if (detail.runsNowhere === true) out.runsNowhere = true
  return out
}

function splitKey(key: string): [Kind, string] {
  const slash = key.indexOf('/')
  return [key.slice(0, slash) as Kind, key.slice(slash + 1)]
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
