// The extension API's types: what a plugin declares and what the engine hands it (ctx).
import type { z } from 'zod'
import type { Inventory } from '../inventory/index.ts'
import type { ActionScope } from './action-scopes.ts'

/** One command to run: an argv array (never a shell string), on a node or locally. */
export interface CommandSpec {
  argv: string[]
  /** Inventory node to run on (over ssh when the node declares `ssh`); absent: locally. */
  node?: string
  /** Bytes for stdin; fence agents get their options (and secrets) here, never in argv. */
  stdin?: string
  timeoutMs?: number
  /** Extra environment entries; the runner starts from a scrubbed environment. */
  env?: Record<string, string>
  /** Output above this many bytes per stream is cut (and `truncated` set). */
  maxOutputBytes?: number
  /** Aborting kills the command's whole process group (the engine passes `ctx.signal`). */
  signal?: AbortSignal
  /** Called with the pid once the process exists (the journal records it for crash recovery). */
  onSpawn?(pid: number): void
}

export interface CommandResult {
  /** Exit status; null when killed by a signal. */
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
  durationMs: number
  timedOut: boolean
  truncated: boolean
}

/** Runs commands locally (execFile) or on a node (ssh, every argument quoted). */
export interface CommandRunner {
  run(spec: CommandSpec): Promise<CommandResult>
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

/** Reads a secret reference (`env:NAME`, `file:/path`); the value is redacted everywhere. */
export interface Secrets {
  resolve(ref: string): Promise<string>
}

/** What every hook of a plugin receives. A plugin reaches the world only through this. */
export interface PluginContext<Config = unknown> {
  /** The plugin's own config block, parsed by its `config` schema. */
  config: Config
  inventory: Inventory
  runner: CommandRunner
  log: Logger
  signal: AbortSignal
  timeoutMs: number
  secrets: Secrets
  /** True: do not change the world; `run` is not called, `describe` is. */
  dryRun: boolean
}

/** A command an action would run, as `tandem plan` shows it. stdin is described, not shown. */
export interface PlannedCommand {
  argv: string[]
  node?: string
  /** Names of the stdin keys (values may be secret), e.g. ['action', 'plug', 'password']. */
  stdinKeys?: string[]
  /** Why this command: "drain node2 from web (weight 5 → 0)". */
  note?: string
}

export interface ActionResult {
  /** One line an operator reads in the journal and notices. */
  summary: string
  /** Facts for later steps and the journal (e.g. the weight saved at drain time). */
  data?: Record<string, unknown>
  /** Commands actually run (argv, redacted by the engine before storing). */
  commands?: PlannedCommand[]
}

export interface VerifyResult {
  ok: boolean
  detail: string
}

/**
 * One action a policy step can `uses:`. Failure is a thrown `PluginError` that keeps
 * the tool's own message.
 */
export interface ActionDefinition<Input = unknown, Config = unknown> {
  description: string
  input: z.ZodType<Input>
  /** The argv arrays it would run, for `tandem plan` and dry runs; may read current state. */
  describe(input: Input, ctx: PluginContext<Config>): PlannedCommand[] | Promise<PlannedCommand[]>
  run(input: Input, ctx: PluginContext<Config>): Promise<ActionResult>
  /** Reads real state back: did the world change as intended? */
  verify?(input: Input, ctx: PluginContext<Config>): Promise<VerifyResult>
  /** Safe to repeat with the same input (after a crash the engine may re-run it). */
  idempotent: boolean
  /** Changes what serves traffic or runs workloads (guards and quorum apply). */
  destructive: boolean
  /**
   * The scope a requester needs for this action, checked by the API and again by the executor
   * at each step: `fence` powers nodes off or moves workloads off a node, `operate` changes
   * weights, placement and restarts, `read` only reads.
   */
  scope: ActionScope
  /**
   * Nodes that must be confirmed fenced in this incident before this action may run
   * (fence-before-recover), e.g. the old owner of a GFS service being relocated.
   */
  needsFence?(input: Input, ctx: PluginContext<Config>): string[] | Promise<string[]>
  /** The node this action fences, when it is a fencing action (for the engine's fence state). */
  fences?(input: Input): string | undefined
  /** Target key for guards (cooldown, concurrency, blast radius), e.g. `node/node2`. */
  target?(input: Input): string
  /**
   * Real servers this action takes out of (`drained: true`) or puts back into an LVS pool;
   * the blast-radius guard counts them (e.g. lvs.drain, lvs.remove_server, lvs.restore).
   */
  drains?(input: Input): { service: string; node: string; drained: boolean }[]
  /**
   * Services this action starts and the node it starts each on (relocate, enable, move to a
   * named node). The engine refuses to place a service that uses GFS on a node whose mount is
   * withdrawn, missing or cut off from its export (guard `storage_blind`).
   */
  places?(input: Input): { service: string; node: string }[]
}

export type ProbeStatus = 'ok' | 'warning' | 'critical' | 'unknown' | 'timeout'

export interface ProbeResult {
  status: ProbeStatus
  latencyMs: number
  detail: string
  /** Structured facts (perfdata, membership, table rows) a policy or health can use. */
  data?: Record<string, unknown>
  /**
   * What the probe saw of the live world, keyed by inventory names. Health copies it into the
   * `service/<name>` and `vm/<name>` rows when (and only when) it changes; the status API, the
   * dashboard and policies' `health.owners` read it there. Report only what was actually read:
   * a subject left out keeps its last known facts.
   */
  facts?: LiveFacts
}

/**
 * Live facts of one probe result, e.g. from lvs.table, rgmanager.membership, pacemaker.status or
 * xen.domains.
 *
 * @example
 * { lvs: { web: { present: true, servers: { node2: { weight: 0, active: 3, inactive: 12 } } } },
 *   placement: { db: { owner: 'node3', state: 'started' } },
 *   vms: { guest1: { host: 'node3', hosts: ['node3'], state: 'running' } } }
 */
export interface LiveFacts {
  /** LVS virtual services by inventory service name. */
  lvs?: Record<string, LvsFacts>
  /** Cluster-placed services by inventory service name: where each runs now. */
  placement?: Record<string, PlacementFacts>
  /** Guests by inventory VM name. */
  vms?: Record<string, VmFacts>
  /** GNBD/NBD exports by inventory storage name: does the server serve it now. */
  exports?: Record<string, ExportFacts>
  /** GFS mounts keyed `<volume>/<node>`: the kernel's word on each mounter. */
  mounts?: Record<string, MountFacts>
}

export interface ExportFacts {
  /** `exported` (listed by its server), `missing`, `down` (not serving), `unreachable`. */
  state: 'exported' | 'missing' | 'down' | 'unreachable'
  server: string
}

export interface MountFacts {
  /** `mounted`, `readonly`, `withdrawn`, `missing` (not mounted), `unreachable`. */
  state: 'mounted' | 'readonly' | 'withdrawn' | 'missing' | 'unreachable'
  /** The export under it on this node: `imported`, `disconnected`, `missing`, `unreachable`. */
  import: 'imported' | 'disconnected' | 'missing' | 'unreachable' | 'local'
}

export interface LvsFacts {
  /** The virtual service is in the director's IPVS table. */
  present: boolean
  /**
   * Real servers in the table by inventory node name. The weight is stored when it changes;
   * connection counts change all the time and are never stored.
   */
  servers: Record<string, { weight: number; active?: number; inactive?: number }>
}

export interface PlacementFacts {
  /** The node running it now; null when it runs nowhere. */
  owner: string | null
  /** Where it ran last, when the cluster says (rgmanager's last owner of a stopped service). */
  lastOwner?: string | null
  /** The cluster manager's word: `started`, `stopped`, `failed`, `recovering`, `Started` … */
  state: string
}

export interface VmFacts {
  /** The one host running it; null when it runs nowhere, or on several hosts. */
  host: string | null
  /** Every answering host where it is alive (more than one is a split brain). */
  hosts: string[]
  /**
   * The domain's state (`running`, `blocked`, `paused`, …), `shutoff` when no host runs it and
   * every host answered, `unreachable` when no answering host runs it and some did not answer.
   */
  state: string
}

/** A probe kind contributed by a plugin (`kind: lvs.table` in a check). Never throws. */
export interface ProbeDefinition<Input = unknown, Config = unknown> {
  description: string
  input: z.ZodType<Input>
  run(input: Input, ctx: PluginContext<Config>): Promise<ProbeResult>
}

/** A message to deliver; ids stay the same across retries so receivers can de-duplicate. */
export interface Notice {
  id: string
  receiver: string
  groupKey: string
  status: 'firing' | 'resolved'
  severity: 'info' | 'warning' | 'critical'
  title: string
  summary: string
  /** Labels every alert of the notice shares (Alertmanager's commonLabels). */
  labels: Record<string, string>
  /** The labels the group was formed on (Alertmanager's groupLabels). */
  groupLabels?: Record<string, string>
  /** What happened, what tandem did, what it refused and why, where to look. */
  events: NoticeEvent[]
  actions: { step: string; uses: string; status: string; detail: string }[]
  refused: { what: string; guard: string; reason: string }[]
  links: { label: string; url: string }[]
  /**
   * Set on notices about a remediation: where it stands. `pending`: it will act after its `for:`
   * unless the cause clears; `held`: a guard (cooldown, rate) holds further decisions back.
   */
  outcome?: 'pending' | 'handling' | 'succeeded' | 'failed' | 'blocked' | 'held' | 'escalated'
  incident?: { id: string; runId?: string; policy?: string }
  /**
   * The first notice of its incident's story: mail uses the thread's root id as its Message-ID,
   * so the notices after it (which reply to that root) thread under a message people have.
   */
  opensThread?: boolean
  createdAt: number
}

/** One alert or event a notice reports. */
export interface NoticeEvent {
  type: string
  subject: string
  at: number
  detail: string
  /** The alert's own state (a group notice may carry firing and resolved alerts together). */
  status?: 'firing' | 'resolved'
  labels?: Record<string, string>
  /** When it stopped (resolved alerts). */
  endedAt?: number
}

export interface DeliveryResult {
  ok: boolean
  /** Retry later (5xx, timeout, 4xx SMTP); false: give up now (4xx webhook, bad address). */
  retry: boolean
  /** Server-requested wait (Retry-After), in ms. */
  retryAfterMs?: number
  /** The receiver is gone for good (webhook 410): disable it and say so. */
  disable?: boolean
  detail: string
}

/** A notice rendered by tandem's templates; notifiers put it into their medium as is. */
export interface RenderedNotice {
  /** One line, no control characters: safe for a mail Subject or a chat title. */
  subject: string
  text: string
  html: string
}

/** What a notifier's `send` receives: the plugin context plus the rendered notice. */
export interface NotifierContext<Config = unknown> extends PluginContext<Config> {
  rendered: RenderedNotice
  /** The channel's name (the receiver), for logs and per-channel connection pools. */
  channelName: string
}

/** A notifier delivers notices for channels of its `type`. */
export interface NotifierDefinition<ChannelConfig = unknown, Config = unknown> {
  description: string
  /** Schema of a channel's `with:` block. */
  channel: z.ZodType<ChannelConfig>
  /** Honours `ctx.signal` (the channel's timeout); never throws for a delivery failure. */
  send(
    notice: Notice,
    channel: ChannelConfig,
    ctx: NotifierContext<Config>,
  ): Promise<DeliveryResult>
  /** Closes pooled connections (at shutdown, or when the config changes). */
  close?(): Promise<void>
}

export interface PluginDefinition<Config = unknown> {
  /** Same as the folder name; steps say `uses: <name>.<action>`. */
  name: string
  description: string
  config: z.ZodType<Config>
  // biome-ignore lint/suspicious/noExplicitAny: inputs differ per action; each is checked by its own schema
  actions?: Record<string, ActionDefinition<any, Config>>
  // biome-ignore lint/suspicious/noExplicitAny: as above, per probe
  probes?: Record<string, ProbeDefinition<any, Config>>
  // biome-ignore lint/suspicious/noExplicitAny: as above, per channel type
  notifiers?: Record<string, NotifierDefinition<any, Config>>
}
