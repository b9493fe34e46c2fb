// The plugin contract kit on the lvs plugin, with the lab simulator holding the table it reads.
import { afterAll } from 'vitest'
import { createInventory, parseConfig } from '../core/inventory/index.ts'
import lvs from '../plugins/lvs/index.ts'
import { lvsContext, simulatorLab } from './lvs-harness.ts'
import { LAB_INVENTORY, run } from './lvs-scenarios.ts'
import { testPluginContract } from './plugin-contract.ts'

const lab = simulatorLab()
const ctx = lvsContext(lab, LAB_INVENTORY)
// describe() reads the live table: give it one, as a director would have.
await run(ctx, 'reconcile', {})
afterAll(() => lab.stop())

const server = { service: 'web', node: 'web2' }
testPluginContract(lvs, {
  config: { ipvsadm: lab.ipvsadm },
  inventory: createInventory(parseConfig('lab.yaml', LAB_INVENTORY)),
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
})
