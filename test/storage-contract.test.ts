// The plugin contract kit run on the storage plugin (GNBD and NBD exports, a GFS2 volume).
import { Config, createInventory } from '../core/inventory/index.ts'
import storage from '../plugins/storage/index.ts'
import { testPluginContract } from './plugin-contract.ts'

const inventory = createInventory(
  Config.parse({
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
  }),
)

testPluginContract(storage, {
  inventory,
  actions: {
    mount: { input: { volume: 'gfs-data', node: 'node1' } },
    unmount: { input: { volume: 'gfs-data', node: 'node1' } },
    import: { input: { export: 'data-export', node: 'node1' } },
    export: { input: { export: 'nbd-export' } },
    unexport: { input: { export: 'data-export' } },
    recover_withdrawn: { input: { volume: 'gfs-data', node: 'node2', fsck: true } },
  },
  probes: { exports: { input: {} }, mounts: { input: { node: 'node1' } } },
})
