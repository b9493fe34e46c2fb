// The storage plugin's example site for the contract kit (test only): a GNBD and an NBD export, a GFS2 volume.
import { defineContractSite } from '../../test/plugin/contract-sites.ts'

/** The site: storage1 exports data (GNBD) and logs (NBD); node1 and node2 mount gfs-data. */
const INVENTORY = {
  nodes: [
    { name: 'storage1', address: '127.0.1.20', roles: ['storage'] },
    ...['node1', 'node2'].map((name, i) => ({
      name,
      address: `127.0.1.${i + 1}`,
      roles: ['cluster'],
    })),
  ],
  storage: [
    {
      name: 'data-export',
      kind: 'gnbd',
      server: 'storage1',
      export: 'data',
      device: '/dev/sdb1',
    },
    { name: 'nbd-export', kind: 'nbd', server: 'storage1', export: 'logs', device: '/dev/sdc1' },
    {
      name: 'gfs-data',
      kind: 'gfs',
      on: 'data-export',
      mountpoint: '/srv/data',
      mounted_by: ['node1', 'node2'],
      options: ['noatime'],
    },
  ],
  fencing: {
    devices: [
      { name: 'gnbd', agent: 'fence_gnbd', kind: 'storage', options: { servers: 'storage1' } },
    ],
    nodes: ['node1', 'node2'].map((node) => ({
      node,
      levels: [[{ device: 'gnbd', plug: node }]],
    })),
  },
}

export default defineContractSite(() => ({
  inventory: INVENTORY,
  actions: {
    mount: { input: { volume: 'gfs-data', node: 'node1' } },
    unmount: { input: { volume: 'gfs-data', node: 'node1' } },
    import: { input: { export: 'data-export', node: 'node1' } },
    export: { input: { export: 'nbd-export' } },
    unexport: { input: { export: 'data-export' } },
    recover_withdrawn: { input: { volume: 'gfs-data', node: 'node2', fsck: true } },
  },
  probes: { exports: { input: {} }, mounts: { input: { node: 'node1' } } },
}))
