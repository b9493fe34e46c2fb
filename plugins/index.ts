// The one list of built-in plugins. Adding a plugin is one folder plus one line here.
import type { PluginDefinition } from '../core/plugin/index.ts'
import lvs from './lvs/index.ts'

// biome-ignore lint/suspicious/noExplicitAny: each plugin has its own config type
export const builtinPlugins: PluginDefinition<any>[] = [lvs]
