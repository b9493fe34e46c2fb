// The view classes CEL sees (`event`, `inventory`, `health`) and their CEL type declarations.

/* CEL maps a value to a declared type by its constructor, so each view kind has its own class. */

export class EventView {
  constructor(
    readonly type: string,
    readonly subject: string,
    readonly at: bigint,
    readonly labels: Record<string, string>,
    readonly payload: Record<string, unknown>,
  ) {}
}

export class RealServerView {
  constructor(
    readonly service: string,
    readonly node: string,
    readonly port: bigint,
    readonly weight: bigint,
    readonly forwarding: string,
  ) {}
}

export class NodeView {
  constructor(
    readonly name: string,
    readonly address: string,
    readonly roles: string[],
    readonly labels: Record<string, string>,
    readonly depends_on: string[],
    /**
     * Guests on this node: where the `xen.domains` probe last saw each one run (its node while
     * its host does not answer), else, with no live data for it, its declared `host`.
     */
    readonly guests: string[],
    /** Real servers on this node across every LVS service. */
    readonly real_servers: RealServerView[],
    /** Cluster services that may run here. */
    readonly cluster_services: string[],
  ) {}
}

export class ServiceView {
  constructor(
    readonly name: string,
    readonly labels: Record<string, string>,
    /** The LVS director node; empty when the service is not load-balanced. */
    readonly director: string,
    readonly real_servers: RealServerView[],
    /** `rgmanager`, `pacemaker`, or empty when the cluster does not place it. */
    readonly cluster_manager: string,
    readonly preferred: string[],
    readonly storage: string[],
    readonly shared_storage: boolean,
    readonly min_healthy: bigint,
  ) {}
}

export class VmView {
  constructor(
    readonly name: string,
    readonly host: string,
    readonly toolstack: string,
    readonly live_migrate: boolean,
    readonly memory_mib: bigint,
    readonly preferred: string[],
    readonly labels: Record<string, string>,
  ) {}
}

export class InventoryView {
  constructor(
    readonly nodes: Record<string, NodeView>,
    readonly services: Record<string, ServiceView>,
    readonly vms: Record<string, VmView>,
    readonly cluster_name: string,
    readonly cluster_manager: string,
  ) {}
}

export class HealthView {
  constructor(
    readonly nodes: Record<string, string>,
    readonly services: Record<string, string>,
    readonly vms: Record<string, string>,
    readonly checks: Record<string, string>,
    /**
     * Cluster service → the node running it: what the cluster manager reported (a service
     * row's `detail.owner`, written by rgmanager.membership / pacemaker.status; for a service
     * it runs nowhere, the node it last ran on, else `""`); without live data its first
     * preferred node.
     */
    readonly owners: Record<string, string>,
    /**
     * The cluster's quorum: the health row of target `cluster` (the membership probe) when
     * there is one, else more than half of the cluster nodes up as tandem sees them.
     */
    readonly quorate: boolean,
    /**
     * Where each of `owners` came from: `cluster` (the live word) or `preferred` (no live data:
     * the fallback). Not visible to CEL; plans record it (Plan.owners).
     */
    readonly ownerSources: Record<string, 'cluster' | 'preferred'> = {},
    /**
     * Each VM's node as the probe reported it (`""`: it runs nowhere), or its declared `host`
     * with no live data. Not visible to CEL: `inventory.nodes[n].guests` and
     * `inventory.vms[v].host` read it (liveInventory); plans record it (Plan.guests).
     */
    readonly vmHosts: Record<string, GuestHost> = {},
    /**
     * Storage by inventory name (GNBD/NBD exports and GFS volumes): `up`, `degraded`, `down`,
     * `unreachable` or `unknown`, from the storage probes. A volume is `down` when its export is
     * (the export is the cause), `degraded` when some mounter cannot use it.
     */
    readonly storage: Record<string, string> = {},
    /**
     * GFS volume → node → that node's mount as its kernel says: `mounted`, `readonly`,
     * `withdrawn`, `missing`, `unreachable`; a node absent has not reported. Only `mounted` on a
     * live export is a node that can run the volume's services.
     */
    readonly mounts: Record<string, Record<string, string>> = {},
    /**
     * Service → the nodes that can run it as far as storage goes: for a service on GFS, the
     * nodes mounting every volume it uses, each mounted (not withdrawn, read-only or missing)
     * on a live export; while no storage probe has reported on a volume, its `mounted_by`
     * nodes (tandem cannot tell). A service without GFS: every cluster node.
     */
    readonly storage_ready: Record<string, string[]> = {},
    /**
     * Storage by inventory name → the entry whose failure explains its state (a GFS volume on a
     * dead export: the export), or `""` when its state is its own. A withdrawn mount on a volume
     * whose cause is its export is the export's story (parent hides children), not the node's.
     */
    readonly storage_cause: Record<string, string> = {},
  ) {}
}

/** Where a VM was taken to run, and on whose word: the `xen.domains` probe, or the inventory. */
export interface GuestHost {
  node: string
  source: 'probe' | 'declared'
}

/** The CEL declarations of the view classes, field by field. */
export const VIEW_TYPES = {
  Event: {
    ctor: EventView,
    fields: {
      type: 'string',
      subject: 'string',
      at: 'int',
      labels: 'map<string, string>',
      payload: 'map<string, dyn>',
    },
  },
  RealServer: {
    ctor: RealServerView,
    fields: { service: 'string', node: 'string', port: 'int', weight: 'int', forwarding: 'string' },
  },
  Node: {
    ctor: NodeView,
    fields: {
      name: 'string',
      address: 'string',
      roles: 'list<string>',
      labels: 'map<string, string>',
      depends_on: 'list<string>',
      guests: 'list<string>',
      real_servers: 'list<RealServer>',
      cluster_services: 'list<string>',
    },
  },
  Service: {
    ctor: ServiceView,
    fields: {
      name: 'string',
      labels: 'map<string, string>',
      director: 'string',
      real_servers: 'list<RealServer>',
      cluster_manager: 'string',
      preferred: 'list<string>',
      storage: 'list<string>',
      shared_storage: 'bool',
      min_healthy: 'int',
    },
  },
  Vm: {
    ctor: VmView,
    fields: {
      name: 'string',
      host: 'string',
      toolstack: 'string',
      live_migrate: 'bool',
      memory_mib: 'int',
      preferred: 'list<string>',
      labels: 'map<string, string>',
    },
  },
  Inventory: {
    ctor: InventoryView,
    fields: {
      nodes: 'map<string, Node>',
      services: 'map<string, Service>',
      vms: 'map<string, Vm>',
      cluster_name: 'string',
      cluster_manager: 'string',
    },
  },
  Health: {
    ctor: HealthView,
    fields: {
      nodes: 'map<string, string>',
      services: 'map<string, string>',
      vms: 'map<string, string>',
      checks: 'map<string, string>',
      owners: 'map<string, string>',
      quorate: 'bool',
      storage: 'map<string, string>',
      mounts: 'map<string, map<string, string>>',
      storage_ready: 'map<string, list<string>>',
      storage_cause: 'map<string, string>',
    },
  },
} as const
