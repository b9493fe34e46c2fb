// The whole extension API: plugins import from here and nothing else in core.
export { z } from 'zod'
export type { Inventory, RealServerRef } from '../inventory/index.ts'
export { Duration } from '../inventory/index.ts'
export { defineAction, defineNotifier, definePlugin, defineProbe, PluginError } from './define.ts'
export {
  type ReachableResult,
  runOnFirstReachable,
  toolOutput,
  unreachable,
} from './first-reachable.ts'
export { guardProbe } from './probe-guard.ts'
export { createRegistry, type Registry } from './registry.ts'
export type * from './types.ts'
