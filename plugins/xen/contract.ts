// The xen plugin's example site for the contract kit (test only): three hypervisors, guest1 on node1.
import { defineContractSite } from '../../test/plugin/contract-sites.ts'

export default defineContractSite(() => ({
  inventory: {
    nodes: ['node1', 'node2', 'node3'].map((name, i) => ({
      name,
      address: `127.0.1.${i + 1}`,
      roles: ['cluster', 'hypervisor'],
    })),
    vms: [{ name: 'guest1', host: 'node1', memory_mib: 1024 }],
  },
  actions: {
    migrate: { input: { vm: 'guest1', to: 'node2' } },
    evacuate: { input: { host: 'node1' } },
    restart_elsewhere: { input: { vm: 'guest1', from: 'node1' } },
    start: { input: { vm: 'guest1' } },
  },
  probes: { domains: { input: {} } },
}))
