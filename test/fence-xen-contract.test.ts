// The plugin contract kit run on the fence and xen plugins.
import { Config, createInventory } from '../core/inventory/index.ts'
import fence from '../plugins/fence/index.ts'
import xen from '../plugins/xen/index.ts'
import { LAB_BIN } from './lab/plugin-context.ts'
import { testPluginContract } from './plugin-contract.ts'

const inventory = createInventory(
  Config.parse({
    nodes: ['node1', 'node2', 'node3'].map((name, i) => ({
      name,
      address: `127.0.1.${i + 1}`,
      roles: ['cluster', 'hypervisor'],
    })),
    vms: [{ name: 'guest1', host: 'node1', memory_mib: 1024 }],
    fencing: {
      devices: [
        {
          name: 'ipmi-node2',
          agent: 'fence_lab',
          options: { ip: '10.0.0.2', username: 'admin', password: 'env:FENCE_PW' },
        },
        { name: 'gnbd', agent: 'fence_gnbd', kind: 'storage', options: { servers: 'node3' } },
      ],
      nodes: [{ node: 'node2', levels: [['ipmi-node2'], [{ device: 'gnbd', plug: 'node2' }]] }],
    },
  }),
)

testPluginContract(fence, {
  config: { agents_dir: LAB_BIN },
  inventory,
  env: { FENCE_PW: 'contract-password' },
  actions: {
    fence: { input: { node: 'node2' } },
    status: { input: { node: 'node2' } },
    unfence: { input: { node: 'node2' } },
  },
})

testPluginContract(xen, {
  inventory,
  actions: {
    migrate: { input: { vm: 'guest1', to: 'node2' } },
    evacuate: { input: { host: 'node1' } },
    restart_elsewhere: { input: { vm: 'guest1', from: 'node1' } },
    start: { input: { vm: 'guest1' } },
  },
  probes: { domains: { input: {} } },
})
