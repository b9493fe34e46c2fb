// The storage plugin against the lab's simulated gnbd_export/gnbd_import, mount/umount and kernel
// files, over the lab's ssh: what it reports and changes is checked against the world file.
import { beforeEach, describe, expect, it } from 'vitest'
import { Config, type ConfigInput } from '../../core/inventory/index.ts'
import type { StorageConfig } from '../../plugins/storage/config.ts'
import storage from '../../plugins/storage/index.ts'
import { failStorage, withdrawGfs } from '../lab/demo-world.ts'
import { type LabContext, labContext } from '../lab/plugin-context.ts'
import type { LabStorage } from '../lab/storage.mjs'
import { seedStorage } from '../lab/storage-seed.ts'
import { readWorld, updateWorld } from '../lab/world.mjs'

const inventory: ConfigInput = {
  cluster: { name: 'demo', manager: 'rgmanager' },
  nodes: [
    { name: 'storage1', address: '127.0.1.20', roles: ['storage' as const], ssh: {} },
    ...['node1', 'node2', 'node3'].map((name, i) => ({
      name,
      address: `127.0.1.${i + 1}`,
      roles: ['cluster' as const],
      ssh: {},
    })),
  ],
  storage: [
    { name: 'data-export', kind: 'gnbd', server: 'storage1', export: 'data', device: '/dev/sdb1' },
    {
      name: 'gfs-data',
      kind: 'gfs',
      on: 'data-export',
      mountpoint: '/srv/data',
      mounted_by: ['node1', 'node2', 'node3'],
      options: ['noatime'],
    },
  ],
  fencing: {
    devices: [
      { name: 'gnbd', agent: 'fence_gnbd', kind: 'storage', options: { servers: 'storage1' } },
    ],
    nodes: ['node1', 'node2', 'node3'].map((node) => ({
      node,
      levels: [[{ device: 'gnbd', plug: node }]],
    })),
  },
}

let ctx: LabContext<StorageConfig>
beforeEach(() => {
  const config = Config.parse(inventory)
  ctx = labContext(storage, {
    inventory,
    world: {
      nodes: Object.fromEntries(
        config.nodes.map((n) => [n.name, { up: true, power: 'on', address: n.address }]),
      ),
      rgmanager: { cluster: { name: 'demo' } },
      storage: seedStorage(config),
    },
  })
})

const labStorage = () => readWorld().storage as LabStorage
const probe = (name: 'exports' | 'mounts', input: object) =>
  storage.probes![name]!.run(input as never, ctx as never)
const action = (name: string, input: object) =>
  storage.actions![name]!.run(storage.actions![name]!.input.parse(input) as never, ctx as never)
const verify = (name: string, input: object) =>
  storage.actions![name]!.verify!(storage.actions![name]!.input.parse(input) as never, ctx as never)

describe('probes', () => {
  it('sees the export served and the GFS2 mounted, with its lock table and protocol', async () => {
    const exports = await probe('exports', {})
    expect(exports.status).toBe('ok')
    expect(exports.facts?.exports).toEqual({
      'data-export': { state: 'exported', server: 'storage1' },
    })
    const mounts = await probe('mounts', { node: 'node2' })
    expect(mounts.status, mounts.detail).toBe('ok')
    expect(mounts.facts?.mounts).toEqual({
      'gfs-data/node2': { state: 'mounted', import: 'imported' },
    })
    expect(mounts.data?.mounts).toMatchObject([
      { table: 'demo:data', proto: 'lock_dlm', device: '/dev/gnbd/data', sectors: 2097152 },
    ])
  })

  it('reports a withdrawn GFS on node3 only, read-only as /proc/mounts says', async () => {
    withdrawGfs('node3')
    const node3 = await probe('mounts', { node: 'node3' })
    expect(node3.status).toBe('critical')
    expect(node3.facts?.mounts?.['gfs-data/node3']?.state).toBe('withdrawn')
    expect((node3.data?.mounts as { options: string[] }[] | undefined)?.[0]?.options).toContain(
      'ro',
    )
    expect((await probe('mounts', { node: 'node1' })).status).toBe('ok')
  })

  it('a dead storage server: its export unreachable, every import disconnected', async () => {
    failStorage(Config.parse(inventory), 'storage1')
    const exports = await probe('exports', {})
    expect(exports.status).toBe('critical')
    expect(exports.facts?.exports?.['data-export']?.state).toBe('unreachable')
    const node1 = await probe('mounts', { node: 'node1' })
    expect(node1.facts?.mounts?.['gfs-data/node1']).toEqual({
      state: 'mounted',
      import: 'disconnected',
    })
    // Nothing on a GFS whose device is cut off can run: critical (under the export's incident).
    expect(node1.status).toBe('critical')
  })

  it('an export removed on the server reads as missing, not as a dead server', async () => {
    updateWorld((w) => {
      delete (w.storage as LabStorage).exports.storage1!.data
    })
    const exports = await probe('exports', {})
    expect(exports.facts?.exports?.['data-export']?.state).toBe('missing')
  })
})

describe('actions', () => {
  it('unmount then mount node2, with the inventory’s options; repeating does nothing', async () => {
    await action('unmount', { volume: 'gfs-data', node: 'node2' })
    expect(labStorage().nodes.node2?.mounts['/srv/data']).toBeUndefined()
    expect(await verify('unmount', { volume: 'gfs-data', node: 'node2' })).toMatchObject({
      ok: true,
    })
    await action('mount', { volume: 'gfs-data', node: 'node2' })
    expect(labStorage().nodes.node2?.mounts['/srv/data']?.options).toContain('noatime')
    const ran = ctx.ran.length
    const again = await action('mount', { volume: 'gfs-data', node: 'node2' })
    expect(again.summary).toMatch(/already mounted/)
    expect(ctx.ran.slice(ran).map((c) => c.argv[0])).not.toContain('mount')
  })

  it('recovers a withdrawn mount by unmount and mount, verified by the node’s own files', async () => {
    withdrawGfs('node3')
    const result = await action('recover_withdrawn', { volume: 'gfs-data', node: 'node3' })
    expect(result.commands?.map((c) => c.argv[0])).toEqual(['umount', 'mount'])
    expect(labStorage().nodes.node3?.mounts['/srv/data']?.withdrawn).toBeUndefined()
    expect(await verify('recover_withdrawn', { volume: 'gfs-data', node: 'node3' })).toMatchObject({
      ok: true,
    })
  })

  it('refuses fsck while another node still mounts the filesystem', async () => {
    withdrawGfs('node3')
    await expect(
      action('recover_withdrawn', { volume: 'gfs-data', node: 'node3', fsck: true }),
    ).rejects.toThrow(/refusing fsck of gfs-data: still mounted or unknown on node1 \(mounted\)/)
  })

  it('refuses to mount from a dead server with mount’s own words', async () => {
    await action('unmount', { volume: 'gfs-data', node: 'node1' })
    failStorage(Config.parse(inventory), 'storage1')
    await expect(action('mount', { volume: 'gfs-data', node: 'node1' })).rejects.toThrow(
      /^\[storage\] .*can't read superblock on \/dev\/gnbd\/data/,
    )
  })

  it('re-exports a removed GNBD export and imports it on a node that lost it', async () => {
    updateWorld((w) => {
      const s = w.storage as LabStorage
      delete s.exports.storage1!.data
      s.nodes.node1!.mounts = {}
      s.nodes.node1!.imports = {}
    })
    await action('export', { export: 'data-export' })
    expect(labStorage().exports.storage1?.data?.device).toBe('/dev/sdb1')
    await action('import', { export: 'data-export', node: 'node1' })
    expect(labStorage().nodes.node1?.imports.data).toEqual({ server: 'storage1', minor: 0 })
    expect(await verify('import', { export: 'data-export', node: 'node1' })).toMatchObject({
      ok: true,
    })
  })
})
