// The Pacemaker plugin: move/ban/clear/cleanup resources and standby nodes via the crm tools; read crm_mon XML.
import { definePlugin } from '../../core/plugin/index.ts'
import { PacemakerConfig } from './crm-tools.ts'
import { standby, unstandby } from './node-actions.ts'
import { ban, cleanup, clear, move } from './resource-actions.ts'
import { status } from './status-probe.ts'

export default definePlugin({
  name: 'pacemaker',
  description:
    'Pacemaker cluster resource manager: crm_resource/crm_attribute actions and crm_mon status.',
  config: PacemakerConfig,
  actions: { move, ban, clear, standby, unstandby, cleanup },
  probes: { status },
})
