// The pacemaker plugin's example site for the contract kit (test only): manager pacemaker and a copy of a real CIB.
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../test/cluster/support.ts'
import { defineContractSite } from '../../test/plugin/contract-sites.ts'

const CIB = new URL('../../test/fixtures/pacemaker-cib.xml', import.meta.url)

/** The site: a Pacemaker cluster of three nodes, db on GFS, web (the plugin's tests use it too). */
export const INVENTORY = `
cluster: { name: demo, manager: pacemaker }
nodes:
  - { name: node1, address: 127.0.1.1 }
  - { name: node2, address: 127.0.1.2 }
  - { name: node3, address: 127.0.1.3 }
  - { name: storage1, address: 127.0.1.20, roles: [storage] }
services:
  - { name: database, cluster: { pacemaker: { resource: db } }, storage: [gfs-data] }
  - { name: www, cluster: { pacemaker: { resource: web } } }
storage:
  - { name: data-export, kind: gnbd, server: storage1, export: data, device: /dev/sdb1 }
  - { name: gfs-data, kind: gfs, on: data-export, mountpoint: /srv/data, mounted_by: [node1, node2, node3] }
fencing:
  devices: [{ name: gnbd, agent: fence_gnbd, kind: storage, options: { servers: storage1 } }]
  nodes:
    - { node: node1, levels: [[{ device: gnbd, plug: node1 }]] }
    - { node: node2, levels: [[{ device: gnbd, plug: node2 }]] }
    - { node: node3, levels: [[{ device: gnbd, plug: node3 }]] }
`

export default defineContractSite(() => {
  const cib = join(tempDir('pcmk-contract'), 'cib.xml')
  copyFileSync(CIB, cib)
  return {
    config: { env: { CIB_file: cib } },
    inventory: INVENTORY,
    actions: {
      move: { input: { resource: 'web', node: 'node2', lifetime: 'PT1H', from: 'node1' } },
      ban: { input: { resource: 'db', node: 'node3' } },
      clear: { input: { resource: 'web', node: 'node2' } },
      standby: { input: { node: 'node3' } },
      unstandby: { input: { node: 'node3' } },
      cleanup: { input: { resource: 'db', node: 'node3' } },
    },
    probes: { status: { input: { resource: 'database' } } },
  }
})
