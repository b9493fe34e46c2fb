// What every notify operation works with: the store, the current config, the time, a logger.
import type { Config } from '../inventory/index.ts'
import type { Logger } from '../plugin/index.ts'
import type { Store } from '../store/index.ts'
import { type RouteMatch, routeById } from './route.ts'

export interface NotifyContext {
  store: Store
  config: Config
  now: number
  log: Logger
}

/** Timers of a stored group's route; Alertmanager's defaults when routing was removed since. */
export function timersOf(config: Config, routeId: string, receiver: string): RouteMatch {
  if (config.routes) return { ...routeById(config.routes, routeId), receiver }
  return {
    id: routeId,
    receiver,
    groupBy: [],
    groupWaitMs: 30_000,
    groupIntervalMs: 300_000,
    repeatIntervalMs: 14_400_000,
    sendResolved: true,
  }
}
