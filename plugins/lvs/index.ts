// The lvs plugin: drains, restores and reconciles Linux IPVS through ipvsadm on each director,
// changing exactly what an action means to change and reading the table back to prove it.
import { definePlugin } from '../../core/plugin/index.ts'
import { addServer, removeServer } from './actions/membership.ts'
import { reconcile } from './actions/reconcile.ts'
import { sorryServer } from './actions/sorry-server.ts'
import { waitDrained } from './actions/wait-drained.ts'
import { drain, restore, setWeight } from './actions/weights.ts'
import { LvsConfig } from './ipvsadm.ts'
import { statsProbe, tableProbe } from './probes.ts'

export { LvsConfig } from './ipvsadm.ts'

export default definePlugin<LvsConfig>({
  name: 'lvs',
  description: 'Linux Virtual Server (IPVS) directors driven through ipvsadm',
  config: LvsConfig,
  actions: {
    set_weight: setWeight,
    drain,
    restore,
    add_server: addServer,
    remove_server: removeServer,
    wait_drained: waitDrained,
    sorry_server: sorryServer,
    reconcile,
  },
  probes: { table: tableProbe, stats: statsProbe },
})
