// The whole extension API: plugins import from here and nothing else in core.
export { z } from 'zod'
export type { Inventory, RealServerRef } from '../inventory/index.ts'
// Building blocks plugins share with the inventory: durations ("5s"), names, secret references,
// key suggestions.
export { Duration, Name, nearestName, SecretRef } from '../inventory/index.ts'
export { ACTION_SCOPES, type ActionScope } from './action-scopes.ts'
export { defineAction, defineNotifier, definePlugin, defineProbe, PluginError } from './define.ts'
export {
  type ReachableResult,
  runOnFirstReachable,
  toolOutput,
  unreachable,
} from './first-reachable.ts'
export { guardProbe } from './probe-guard.ts'
export type * from './types.ts'
