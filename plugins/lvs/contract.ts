// The lvs plugin's example site for the contract kit (test only): the lab's ipvsadm with the table a director would have.
import { lvsContext, simulatorLab } from '../../test/lvs/harness.ts'
import { LAB_INVENTORY, run } from '../../test/lvs/scenarios.ts'
import { defineContractSite } from '../../test/plugin/contract-sites.ts'

const server = { service: 'web', node: 'web2' }

export default defineContractSite(async () => {
  const lab = simulatorLab()
  const ctx = lvsContext(lab, LAB_INVENTORY)
  // describe() reads the live table: give it one, as a director would have.
  await run(ctx, 'reconcile', {})
  return {
    config: { ipvsadm: lab.ipvsadm },
    inventory: LAB_INVENTORY,
    runner: ctx.runner,
    actions: {
      set_weight: { input: { ...server, weight: 4 } },
      drain: { input: server },
      restore: { input: { ...server, weight: 3 } },
      add_server: { input: server },
      remove_server: { input: server },
      wait_drained: { input: { ...server, timeout: '1s' } },
      sorry_server: { input: { service: 'web' } },
      reconcile: { input: { service: 'web' } },
    },
    probes: { table: { input: { service: 'web' } }, stats: { input: server } },
    close: () => lab.stop(),
  }
})
