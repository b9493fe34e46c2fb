// The whole extension API: plugins import from here and nothing else in core.
export { z } from 'zod'
export type { Inventory, RealServerRef } from '../inventory/index.ts'
export { Duration, SecretRef } from '../inventory/index.ts'
export { defineAction, defineNotifier, definePlugin, defineProbe, PluginError } from './define.ts'
export { createRegistry, type Registry } from './registry.ts'
export type * from './types.ts'
