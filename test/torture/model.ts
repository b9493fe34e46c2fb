// What the torture test believes about the world it drives: the model fast-check's commands check against.
import type { Config } from '../../core/inventory/index.ts'
import type { Violation } from './invariants.ts'
import type { TortureLab } from './lab-driver.ts'

/** How a node's fence devices behave (test/lab/tools/fence_lab.mjs behaviours). */
export type FenceMode = 'ok' | 'fail' | 'lie' | 'hang' | 'error'

export interface TortureModel {
  /** Cluster nodes the test has crashed and not yet recovered. */
  down: Set<string>
  fence: Record<string, FenceMode>
  instances: 1 | 2
  /** The daemon slot the test froze (SIGSTOP), if any. */
  frozen?: number
}

/** The real side: the lab, its inventory, and what the run has counted so far. */
export interface TortureReal {
  lab: TortureLab
  config: Config
  stats: TortureStats
  /** The steps run so far, in order (the model skips those it does not allow). */
  ran: string[]
  /** Violations found so far (a command that finds one fails the run). */
  violations: Violation[]
  /** Runs every continuous invariant against the world and journal now. */
  check(): Promise<void>
  log(line: string): void
}

export interface TortureStats {
  steps: number
  episodes: number
  crashes: number
  checks: number
  violations: number
}

export function initialModel(nodes: string[], instances: 1 | 2): TortureModel {
  return {
    down: new Set(),
    fence: Object.fromEntries(nodes.map((n) => [n, 'ok' as const])),
    instances,
  }
}
