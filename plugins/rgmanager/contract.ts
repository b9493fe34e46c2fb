// The rgmanager plugin's example site for the contract kit (test only): a lab cluster running db and web.
import { LAB_BIN, labCluster } from '../../test/cluster/support.ts'
import { defineContractSite } from '../../test/plugin/contract-sites.ts'

/** The site: an rgmanager cluster of three nodes, db on GFS, web, a guest (the plugin's tests use it too). */
export const INVENTORY = `
version: 1
cluster: { name: demo, manager: rgmanager }
nodes:
  - { name: node1, address: 127.0.1.1 }
  - { name: node2, address: 127.0.1.2 }
  - { name: node3, address: 127.0.1.3 }
  - { name: storage1, address: 127.0.1.20, roles: [storage] }
services:
  - name: db
    cluster: { rgmanager: { service: db }, preferred: [node2, node3, node1] }
    storage: [gfs-data]
  - name: web
    cluster: { rgmanager: { service: web } }
vms:
  - { name: guest1, host: node3 }
storage:
  - { name: data-export, kind: gnbd, server: storage1, export: data, device: /dev/sdb1 }
  - { name: gfs-data, kind: gfs, on: data-export, mountpoint: /srv/data, mounted_by: [node1, node2, node3] }
fencing:
  devices:
    - { name: gnbd, agent: fence_gnbd, kind: storage, options: { servers: storage1 } }
  nodes:
    - { node: node1, levels: [[{ device: gnbd, plug: node1 }]] }
    - { node: node2, levels: [[{ device: gnbd, plug: node2 }]] }
    - { node: node3, levels: [[{ device: gnbd, plug: node3 }]] }
`

export default defineContractSite(() => ({
  config: {
    clustat: `${LAB_BIN}clustat`,
    clusvcadm: `${LAB_BIN}clusvcadm`,
    env: { TANDEM_LAB_WORLD: labCluster({ db: { owner: 'node2' }, web: { owner: 'node1' } }) },
  },
  inventory: INVENTORY,
  actions: {
    relocate: { input: { service: 'db', node: 'node3', from: 'node2' } },
    enable: { input: { service: 'web', node: 'node2' } },
    disable: { input: { service: 'web' } },
    restart: { input: { service: 'web' } },
    freeze: { input: { service: 'db' } },
    unfreeze: { input: { service: 'db' } },
    migrate: { input: { service: 'guest1', node: 'node1' } },
  },
  probes: { membership: { input: { node: 'node2' } } },
}))
