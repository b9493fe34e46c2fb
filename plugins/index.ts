// The one list of built-in plugins. Adding a plugin is one folder plus one line here.
import type { PluginDefinition } from '../core/plugin/index.ts'
import email from './email/index.ts'
import fence from './fence/index.ts'
import lvs from './lvs/index.ts'
import pacemaker from './pacemaker/index.ts'
import rgmanager from './rgmanager/index.ts'
import storage from './storage/index.ts'
import webhook from './webhook/index.ts'
import xen from './xen/index.ts'

// biome-ignore lint/suspicious/noExplicitAny: each plugin has its own config type
export const builtinPlugins: PluginDefinition<any>[] = [
  lvs,
  rgmanager,
  pacemaker,
  fence,
  xen,
  storage,
  email,
  webhook,
]
