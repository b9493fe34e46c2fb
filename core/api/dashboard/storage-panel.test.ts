// The storage panel as an operator reads it: export → volume → each node's import and mount.
import { expect, it } from 'vitest'
import type { ClusterStatus } from '../views/cluster-status.ts'
import { Storage } from './storage-panel.tsx'

const health = (state: string) => ({ state }) as ClusterStatus['storage'][number]['health']

it('shows the export down as the cause, and each mounter’s import and mount', async () => {
  const status = {
    storage: [
      {
        name: 'data-export',
        kind: 'gnbd',
        where: 'storage1:data',
        health: health('unreachable'),
        live: { export: 'unreachable', services: ['db'] },
      },
      {
        name: 'gfs-data',
        kind: 'gfs',
        where: 'data-export on /srv/data',
        health: health('down'),
        live: {
          cause: 'data-export',
          mounts: { node1: 'mounted', node3: 'withdrawn' },
          imports: { node1: 'disconnected', node3: 'imported' },
        },
      },
    ],
  } as unknown as ClusterStatus
  const html = String(await Storage({ status })?.toString())
  expect(html).toContain('data-export')
  expect(html).toContain('used by db')
  expect(html).toContain('(because data-export is down)')
  expect(html).toMatch(/data-node="node1"><td>node1<\/td><td>disconnected<\/td>/)
  expect(html).toMatch(/data-node="node3">.*s-down">withdrawn</)
})

it('is absent when the inventory shares no storage', () => {
  expect(Storage({ status: { storage: [] } as unknown as ClusterStatus })).toBeNull()
})
