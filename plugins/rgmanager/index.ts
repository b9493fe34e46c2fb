// The rgmanager plugin: relocate, enable, disable, restart, freeze and migrate services via clusvcadm; read clustat -x.
import { definePlugin } from '../../core/plugin/index.ts'
import { membership } from './membership-probe.ts'
import { enable, migrate, relocate } from './placement-actions.ts'
import { disable, freeze, restart, unfreeze } from './service-actions.ts'
import { RgmanagerConfig } from './tools.ts'

export default definePlugin({
  name: 'rgmanager',
  description: 'Red Hat Cluster Suite service manager: clusvcadm actions and clustat -x state.',
  config: RgmanagerConfig,
  actions: { relocate, enable, disable, restart, freeze, unfreeze, migrate },
  probes: { membership },
})
