// The inventory schema: nodes, services, VMs, storage, fencing, channels and plugins, declared once.
import { z } from 'zod'
import { Duration, Name, SecretRef } from './primitives.ts'
import { Routes } from './routes.ts'

export { Duration, Name, parseDuration, SecretRef } from './primitives.ts'

const Host = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected an IP address or host name')

const Port = z.number().int().min(0).max(65535)
const Labels = z.record(z.string(), z.string())

export const CheckKind = z.enum(['tcp', 'http', 'https', 'exec', 'ping'])

/** A health check, run against every real server of a service (or a node's address). */
export const Check = z.strictObject({
  name: Name,
  kind: z
    .string()
    .refine((kind) => CheckKind.safeParse(kind).success || /^[a-z0-9-]+\.[a-z0-9_]+$/.test(kind), {
      message: 'expected tcp, http, https, exec, ping, or a plugin probe such as "lvs.table"',
    }),
  port: Port.optional(),
  interval: Duration.default(10_000),
  timeout: Duration.default(2_000),
  rise: z.number().int().min(1).max(100).default(2),
  fall: z.number().int().min(1).max(100).default(3),
  /** http(s): request and what counts as healthy. */
  method: z.enum(['GET', 'HEAD', 'POST', 'OPTIONS']).default('GET'),
  path: z.string().startsWith('/').default('/'),
  host_header: z.string().optional(),
  expect: z
    .strictObject({
      status: z.array(z.number().int().min(100).max(599)).min(1).default([200]),
      body_contains: z.string().optional(),
      body_regex: z.string().optional(),
    })
    .default({ status: [200] }),
  tls: z
    .strictObject({
      verify: z.boolean().default(true),
      client_cert: z.string().optional(),
      client_key: SecretRef.optional(),
      ca: z.string().optional(),
    })
    .optional(),
  /** exec: a Nagios-compatible plugin as an argv array; `{address}` and `{port}` are substituted. */
  command: z.array(z.string()).min(1).optional(),
  /** plugin probes: their own inputs. */
  with: z.record(z.string(), z.unknown()).optional(),
})

const SshTarget = z.strictObject({
  user: z.string().default('root'),
  port: Port.default(22),
  identity: z.string().optional(),
  known_hosts: z.string().optional(),
  connect_timeout: Duration.default(5_000),
})

export const Node = z.strictObject({
  name: Name,
  address: Host,
  labels: Labels.default({}),
  roles: z
    .array(z.enum(['cluster', 'director', 'hypervisor', 'storage', 'monitor']))
    .default(['cluster']),
  /** Absent: commands for this node run locally (the lab, or tandem on the node itself). */
  ssh: SshTarget.optional(),
  /** Parent whose failure hides this node's events (a switch, a rack PDU, a host). */
  depends_on: z.array(Name).default([]),
  memory_mib: z.number().int().positive().optional(),
  checks: z.array(Check).default([]),
})

const RealServer = z.strictObject({
  node: Name,
  port: Port.optional(),
  weight: z.number().int().min(0).max(2147483647).default(1),
  forwarding: z.enum(['masq', 'route', 'tunnel']).optional(),
  thresholds: z
    .strictObject({
      upper: z.number().int().min(0).default(0),
      lower: z.number().int().min(0).default(0),
    })
    .optional(),
})

const VirtualService = z
  .strictObject({
    director: Name,
    protocol: z.enum(['tcp', 'udp', 'fwmark']).default('tcp'),
    address: Host.optional(),
    port: Port.optional(),
    fwmark: z.number().int().min(1).max(4294967295).optional(),
    scheduler: z
      .enum(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'])
      .default('wlc'),
    persistence: Duration.optional(),
    persistence_netmask: z.string().optional(),
    forwarding: z.enum(['masq', 'route', 'tunnel']).default('route'),
    sorry_server: z.strictObject({ address: Host, port: Port.optional() }).optional(),
  })
  .superRefine((vs, ctx) => {
    if (vs.protocol === 'fwmark') {
      if (vs.fwmark === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['fwmark'],
          message: 'required when protocol is fwmark',
        })
    } else {
      if (vs.address === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['address'],
          message: `required for protocol ${vs.protocol}`,
        })
      if (vs.port === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['port'],
          message: `required for protocol ${vs.protocol}`,
        })
    }
  })

const Placement = z
  .strictObject({
    rgmanager: z.strictObject({ service: z.string().min(1) }).optional(),
    pacemaker: z.strictObject({ resource: z.string().min(1) }).optional(),
    preferred: z.array(Name).default([]),
  })
  .refine((p) => (p.rgmanager ? 1 : 0) + (p.pacemaker ? 1 : 0) === 1, {
    message: 'name exactly one cluster manager: rgmanager.service or pacemaker.resource',
  })

export const Service = z.strictObject({
  name: Name,
  labels: Labels.default({}),
  lvs: VirtualService.optional(),
  real_servers: z.array(RealServer).default([]),
  cluster: Placement.optional(),
  storage: z.array(Name).default([]),
  checks: z.array(Check).default([]),
  /** Healthy real servers below this count make the service `degraded` (0 of them: `down`). */
  min_healthy: z.number().int().min(1).optional(),
})

export const Vm = z.strictObject({
  name: Name,
  host: Name,
  toolstack: z.enum(['xl', 'xm', 'virsh']).default('xl'),
  live_migrate: z.boolean().default(true),
  memory_mib: z.number().int().positive().default(1024),
  /** virsh: the libvirt URI template of a destination host, `{host}` is substituted. */
  uri: z.string().optional(),
  preferred: z.array(Name).default([]),
  labels: Labels.default({}),
})

export const Storage = z.discriminatedUnion('kind', [
  z.strictObject({
    name: Name,
    kind: z.literal('gnbd'),
    server: Name,
    export: z.string().min(1),
    device: z.string().startsWith('/'),
  }),
  z.strictObject({
    name: Name,
    kind: z.literal('gfs'),
    on: Name,
    mountpoint: z.string().startsWith('/'),
    mounted_by: z.array(Name).min(1),
  }),
])

const SECRET_OPTION =
  /^(password|passwd|secret|token|community|key|snmp_priv_passwd|identity_file)$/

export const FenceDevice = z
  .strictObject({
    name: Name,
    agent: z
      .string()
      .regex(/^fence_[a-z0-9_]+$/, 'expected a fence agent name such as "fence_ipmilan"'),
    /** Agent options, sent as `key=value` lines on stdin (never argv). */
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    timeout: Duration.default(60_000),
    /** Storage fencing (fence_gnbd style): cuts the node off its exports instead of power. */
    kind: z.enum(['power', 'storage']).default('power'),
  })
  .superRefine((dev, ctx) => {
    for (const [key, value] of Object.entries(dev.options)) {
      if (!SECRET_OPTION.test(key) || SecretRef.safeParse(value).success) continue
      const relativeFile = typeof value === 'string' && value.startsWith('file:')
      ctx.addIssue({
        code: 'custom',
        path: ['options', key],
        message: relativeFile
          ? `"${key}": a file: secret reference needs an absolute path, e.g. "file:/etc/tandem/${key}"`
          : `"${key}" is a secret: reference it as "env:NAME" or "file:/path", never inline`,
      })
    }
  })

const FenceLevelEntry = z.union([
  Name,
  z.strictObject({ device: Name, plug: z.union([z.string(), z.number()]).optional() }),
])

export const NodeFencing = z.strictObject({
  node: Name,
  /** Static delay before fencing this node, to break fence races in two-node clusters. */
  delay: Duration.default(0),
  /** Level 1 first: every device of a level must succeed; else the next level is tried. */
  levels: z.array(z.array(FenceLevelEntry).min(1)).min(1),
})

export const Fencing = z.strictObject({
  devices: z.array(FenceDevice).default([]),
  nodes: z.array(NodeFencing).default([]),
})

export const Channel = z.strictObject({
  name: Name,
  /** The notifier plugin that delivers it, e.g. `email` or `webhook`. */
  type: z.string().min(1),
  /** Checked against the notifier's own `channel` schema when the plugins are loaded. */
  with: z.record(z.string(), z.unknown()).default({}),
  /** One delivery attempt may take this long (connect, send, answer). */
  timeout: Duration.default(10_000),
  /** Failed deliveries are retried with exponential backoff and jitter, then dead-lettered. */
  retry: z
    .strictObject({
      max_attempts: z.number().int().min(1).max(100).default(12),
      initial: Duration.default(5_000),
      max: Duration.default(900_000),
    })
    .default({ max_attempts: 12, initial: 5_000, max: 900_000 }),
})

const PluginConfig = z.looseObject({
  /** Third-party plugins: a local path (relative to the config file) or an npm package. */
  module: z.string().optional(),
})

export const Monitor = z.strictObject({
  /** Vantage points that must agree before a node is called down (k of n). */
  node_down_quorum: z.number().int().min(1).default(2),
  /** Share of all targets failing at once above which tandem suspects itself. */
  blind_threshold: z.number().min(0).max(1).default(0.5),
  flap: z
    .strictObject({
      window: z.number().int().min(4).max(100).default(21),
      high: z.number().min(0).max(100).default(50),
      low: z.number().min(0).max(100).default(25),
    })
    .default({ window: 21, high: 50, low: 25 }),
  max_concurrency: z.number().int().min(1).default(512),
})

export const Daemon = z.strictObject({
  listen: z.string().default('127.0.0.1:8080'),
  store: z.string().default('file:./data/tandem.db'),
  store_auth_token: SecretRef.optional(),
  public_url: z.string().optional(),
  /**
   * How long an incident stays `resolved` (its cause cleared) before it is closed; a failure
   * of the same subject within it re-opens the incident, one after it opens a new one.
   */
  incident_hold_down: Duration.default(300_000),
})

export const Config = z.strictObject({
  version: z.literal(1).default(1),
  cluster: z
    .strictObject({
      name: Name,
      manager: z.enum(['rgmanager', 'pacemaker']),
    })
    .optional(),
  daemon: Daemon.default({
    listen: '127.0.0.1:8080',
    store: 'file:./data/tandem.db',
    incident_hold_down: 300_000,
  }),
  monitor: Monitor.default({
    node_down_quorum: 2,
    blind_threshold: 0.5,
    flap: { window: 21, high: 50, low: 25 },
    max_concurrency: 512,
  }),
  nodes: z.array(Node).default([]),
  services: z.array(Service).default([]),
  vms: z.array(Vm).default([]),
  storage: z.array(Storage).default([]),
  fencing: Fencing.default({ devices: [], nodes: [] }),
  channels: z.array(Channel).default([]),
  /** Which channels hear about what (absent: only the channels a policy names in `notify`). */
  routes: Routes.optional(),
  plugins: z.record(Name, PluginConfig).default({}),
})

export type Config = z.output<typeof Config>
export type ConfigInput = z.input<typeof Config>
export type Node = z.output<typeof Node>
export type Service = z.output<typeof Service>
export type RealServer = z.output<typeof RealServer>
export type Vm = z.output<typeof Vm>
export type Storage = z.output<typeof Storage>
export type FenceDevice = z.output<typeof FenceDevice>
export type NodeFencing = z.output<typeof NodeFencing>
export type Check = z.output<typeof Check>
export type Channel = z.output<typeof Channel>
export { type LabelMatcher, parseMatcher, Route, Routes } from './routes.ts'
