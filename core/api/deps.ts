// What the API needs from the rest of tandem, and its own settings with their defaults.
import type { Inventory } from '../inventory/index.ts'
import type { Logger } from '../log.ts'
import { type Metrics, type TandemMetrics, tandemMetrics } from '../metrics/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import type { Store } from '../store/index.ts'

/** Settings of the HTTP API; every field has a safe default. */
export interface ApiConfig {
  /** Base URL people reach the dashboard at (links in notices). */
  publicUrl?: string
  /** HMAC key of approval links (≥ 16 characters); without it approval links are refused. */
  linkSecret?: string
  /**
   * Standard Webhooks secrets (`whsec_…`, several during rotation) per source name; a source
   * posts to `/ingest/webhook/<source>`.
   */
  webhookSecrets?: Record<string, readonly string[]>
  /** Largest accepted body of ordinary routes (default 64 KiB). */
  maxBodyBytes?: number
  /** Largest accepted ingest body (default 4 MiB: Alertmanager groups can be large). */
  maxIngestBytes?: number
  /** Signed-route bodies (read before their signature can be checked) in memory at once (16). */
  maxUnauthenticatedReads?: number
  /** How often the live stream polls the store (default 1 s). */
  streamPollMs?: number
  /** A stream ends after this long and the browser reconnects where it left off (default 5 min). */
  streamMaxMs?: number
  /** Standard Webhooks timestamp tolerance (default 5 min). */
  webhookToleranceMs?: number
  /** Clock, for tests. */
  now?: () => number
}

/**
 * The daemon (and the serverless entry) passes these to `createApp`. `inventory` may be a
 * getter so a hot-reloaded config is seen by the next request.
 */
export interface AppDeps {
  store: Store
  inventory: Inventory | (() => Inventory)
  registry?: Registry
  /** The config file the site was loaded from: the editor's routes read and write it. */
  configFile?: string
  /** Hot reload of the config file (the daemon); absent: a save says to restart. */
  reloadConfig?: () => Promise<ConfigReloadOutcome>
  /** The loaded policies, so a policy request is checked against every step's scope. */
  policies?: () => readonly PolicySteps[]
  metrics: Metrics
  log: Logger
  config?: ApiConfig
}

/** What a hot reload did (the runtime's ConfigReload; the API does not import the runtime). */
export type ConfigReloadOutcome =
  | { status: 'reloaded'; changed: string[]; restartFor: string[] }
  | { status: 'kept'; error: string }

/** What the API reads of a loaded policy: its name and the actions its steps use. */
export interface PolicySteps {
  name: string
  steps: readonly { name: string; uses: string }[]
}

/** AppDeps with defaults applied, as handlers see them. */
export interface ApiContext {
  store: Store
  inventory(): Inventory
  registry?: Registry
  configFile?: string
  reloadConfig?: () => Promise<ConfigReloadOutcome>
  policies?: () => readonly PolicySteps[]
  metrics: Metrics
  shared: TandemMetrics
  log: Logger
  config: Required<Omit<ApiConfig, 'publicUrl' | 'linkSecret'>> &
    Pick<ApiConfig, 'publicUrl' | 'linkSecret'>
  now(): number
  /** Signed-route bodies being read right now (bounded by maxUnauthenticatedReads). */
  unauthenticatedReads: { count: number }
}

export function resolveDeps(deps: AppDeps): ApiContext {
  const inventory = deps.inventory
  const config = deps.config ?? {}
  return {
    store: deps.store,
    inventory: typeof inventory === 'function' ? inventory : () => inventory,
    registry: deps.registry,
    configFile: deps.configFile,
    reloadConfig: deps.reloadConfig,
    policies: deps.policies,
    metrics: deps.metrics,
    shared: tandemMetrics(deps.metrics),
    log: deps.log,
    config: {
      publicUrl: config.publicUrl,
      linkSecret: config.linkSecret,
      webhookSecrets: config.webhookSecrets ?? {},
      maxBodyBytes: config.maxBodyBytes ?? 64 * 1024,
      maxIngestBytes: config.maxIngestBytes ?? 4 * 1024 * 1024,
      maxUnauthenticatedReads: config.maxUnauthenticatedReads ?? 16,
      streamPollMs: config.streamPollMs ?? 1_000,
      streamMaxMs: config.streamMaxMs ?? 300_000,
      webhookToleranceMs: config.webhookToleranceMs ?? 300_000,
      now: config.now ?? Date.now,
    },
    now: config.now ?? Date.now,
    unauthenticatedReads: { count: 0 },
  }
}
