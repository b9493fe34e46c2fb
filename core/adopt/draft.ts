// What each source parser hands to the merge: the site as one tool wrote it, every entry positioned.

/** Where an entry came from: a file and a 1-based line. */
export interface Origin {
  file: string
  line: number
}

/** `keepalived.conf:26`, the form the report and the YAML comments use. */
export function where(at: Origin): string {
  return `${at.file}:${at.line}`
}

export type SourceKind = 'keepalived' | 'ldirectord' | 'piranha' | 'cluster-conf' | 'cib'

/** A health check as a source states it, already in tandem's words. */
export interface CheckDraft {
  kind: 'tcp' | 'http' | 'https' | 'exec' | 'ping'
  /** The source's own name for it (`HTTP_GET`, `checktype=negotiate`), for the report. */
  label: string
  port?: number
  interval?: number
  timeout?: number
  rise?: number
  fall?: number
  path?: string
  status?: number[]
  bodyContains?: string
  hostHeader?: string
  command?: string[]
  at: Origin
}

export interface RealServerDraft {
  address: string
  port?: number
  weight?: number
  forwarding?: 'masq' | 'route' | 'tunnel'
  thresholds?: { upper: number; lower: number }
  checks: CheckDraft[]
  at: Origin
}

/** One LVS virtual service (keepalived `virtual_server`, ldirectord `virtual=`, Piranha `virtual`). */
export interface LvsDraft {
  name?: string
  /** The director as the source knows it: an address or a host name. */
  director?: string
  protocol: 'tcp' | 'udp' | 'fwmark'
  address?: string
  port?: number
  fwmark?: number
  scheduler?: string
  persistence?: number
  persistenceNetmask?: string
  forwarding?: 'masq' | 'route' | 'tunnel'
  sorry?: { address: string; port?: number }
  realServers: RealServerDraft[]
  at: Origin
}

/** A resource monitor the cluster runs for a service (an rgmanager script, an OCF op). */
export interface MonitorDraft {
  what: string
  /** A script path when the monitor is one (rgmanager `<script file=…>`), to spot duplicates. */
  script?: string
  at: Origin
}

export interface ClusterServiceDraft {
  name: string
  manager: 'rgmanager' | 'pacemaker'
  resource: string
  /** Best first: failover-domain order or location scores. */
  preferred: string[]
  /** True when the service may run only on `preferred` (a restricted domain). */
  restricted: boolean
  domainAt?: Origin
  vips: string[]
  storage: string[]
  monitors: MonitorDraft[]
  at: Origin
}

export interface StorageDraft {
  name: string
  device: string
  mountpoint: string
  /** Absent: every cluster node mounts it. */
  mountedBy?: string[]
  at: Origin
}

export interface FenceDeviceDraft {
  name: string
  agent: string
  options: Record<string, string>
  /** Nodes it can fence when the source says so (Pacemaker `pcmk_host_list`). */
  hosts?: string[]
  at: Origin
}

export interface NodeFencingDraft {
  node: string
  levels: { device: string; plug?: string }[][]
  at: Origin
}

export interface VmDraft {
  name: string
  toolstack: 'xl' | 'xm' | 'virsh'
  preferred: string[]
  at: Origin
}

/** A node a source names: a cluster member, a director, a real server's address. */
export interface NodeDraft {
  name?: string
  address?: string
  role?: 'cluster' | 'director' | 'hypervisor' | 'storage'
  at: Origin
}

/** Something seen and not imported. `skipped` counts for `--strict`; `info` does not. */
export interface Note {
  level: 'skipped' | 'info'
  message: string
  at: Origin
}

/** Everything one source file (with its includes) says about the site. */
export interface Fragment {
  kind: SourceKind
  file: string
  cluster?: { name: string; manager: 'rgmanager' | 'pacemaker'; at: Origin }
  nodes: NodeDraft[]
  lvs: LvsDraft[]
  services: ClusterServiceDraft[]
  storage: StorageDraft[]
  fenceDevices: FenceDeviceDraft[]
  fencing: NodeFencingDraft[]
  vms: VmDraft[]
  notes: Note[]
}

export function emptyFragment(kind: SourceKind, file: string): Fragment {
  return {
    kind,
    file,
    nodes: [],
    lvs: [],
    services: [],
    storage: [],
    fenceDevices: [],
    fencing: [],
    vms: [],
    notes: [],
  }
}

/** The secret reference an imported password becomes: the value itself is never copied. */
export function secretRefFor(device: string, option: string): string {
  const name = `${device}_${option}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_')
  return `env:TANDEM_${name}`
}

/** Option names whose values are secrets in fence agents and LVS checkers. */
export const SECRET_OPTIONS =
  /^(password|passwd|secret|token|community|key|snmp_priv_passwd|identity_file)$/
