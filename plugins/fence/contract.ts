// The fence plugin's example site for the contract kit (test only): two fence levels for node2, the lab's agents.
import { LAB_BIN } from '../../test/lab/plugin-context.ts'
import { defineContractSite } from '../../test/plugin/contract-sites.ts'

/** The site: three cluster nodes; node2 is fenced by IPMI first, then cut off its GNBD storage. */
export const INVENTORY = {
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
}

export default defineContractSite(() => ({
  config: { agents_dir: LAB_BIN },
  inventory: INVENTORY,
  env: { FENCE_PW: 'contract-password' },
  actions: {
    fence: { input: { node: 'node2' } },
    status: { input: { node: 'node2' } },
    unfence: { input: { node: 'node2' } },
  },
}))
