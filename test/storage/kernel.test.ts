// The storage plugin against a real Linux 6.1: GFS2 (lock_nolock) on an NBD export, served by the
// real nbd-server and imported by the real nbd-client in the kernel lab VM (Debian's kernel under
// qemu, TCG). Probes and actions run through the engine's command runner, and every outcome is
// checked against what the kernel itself says (/proc/mounts, /sys/fs/gfs2, /sys/block/nbd0).
// Skipped, saying why, when the VM cannot start here; required where TANDEM_KERNEL_REQUIRED=1.
import { afterAll, describe, expect, it } from 'vitest'
import { Config, createInventory } from '../../core/inventory/index.ts'
import type { PluginContext } from '../../core/plugin/index.ts'
import { createCommandRunner } from '../../core/plugin-host/index.ts'
import type { StorageConfig } from '../../plugins/storage/config.ts'
import storage from '../../plugins/storage/index.ts'
import { bootKernelVm } from '../lab/ipvs-vm/suite.ts'

const booted = await bootKernelVm('storage')

/** Each guest command crosses an emulated CPU: limits are generous, and measured below. */
const SLOW = 120_000
/**
 * The interval the inventory would give the gfs check on this VM: the demo's is 4 s on real
 * hardware; one command in the emulated guest takes up to a few seconds on a loaded machine.
 */
const CHECK_INTERVAL_MS = 15_000
const IMAGE = '/tmp/gfs-data.img'
const CONFIG = '/etc/nbd-server/config'

describe.skipIf('skipped' in booted)('storage plugin against the real kernel (GFS2 on NBD)', () => {
  const vm = 'skipped' in booted ? undefined : booted
  if (!vm) return
  const sh = async (script: string) => {
    const result = await vm.sh(script)
    if (result.code !== 0) throw new Error(`[vm] ${script} → ${result.code}: ${result.stderr}`)
    return result.stdout
  }
  const inventory = createInventory(
    Config.parse({
      cluster: { name: 'tandem', manager: 'rgmanager' },
      // One kernel plays both parts: storage1 serves on the VM's loopback, node1 imports there.
      nodes: [
        { name: 'storage1', address: '127.0.0.1', roles: ['storage'] },
        { name: 'node1', address: '127.0.0.2', roles: ['cluster'] },
      ],
      storage: [
        {
          name: 'data-export',
          kind: 'nbd',
          server: 'storage1',
          export: 'data',
          device: IMAGE,
          import_device: '/dev/nbd0',
        },
        {
          name: 'gfs-data',
          kind: 'gfs',
          on: 'data-export',
          mountpoint: '/srv/data',
          mounted_by: ['node1'],
          options: ['noatime'],
          lock_proto: 'lock_nolock',
        },
      ],
    }),
  )
  const ctx: PluginContext<StorageConfig> = {
    config: storage.config.parse({
      nbd_client: vm.tools['nbd-client'],
      nbd_server: vm.tools['nbd-server'],
      nbd_server_config: CONFIG,
      mount: vm.tools.mount,
      umount: vm.tools.umount,
      grep: vm.tools.grep,
      fsck_gfs2: vm.tools['fsck.gfs2'],
      read_timeout: '60s',
      mount_timeout: '60s',
    }),
    inventory,
    runner: createCommandRunner({ inventory }),
    log: { debug() {}, info() {}, warn() {}, error() {} } as never,
    signal: new AbortController().signal,
    timeoutMs: SLOW,
    secrets: { resolve: async () => '' } as never,
    dryRun: false,
  }
  const act = async (name: string, input: object) => {
    const action = storage.actions?.[name]
    if (!action?.verify) throw new Error(`storage.${name} has no verify`)
    const parsed = action.input.parse(input) as never
    const result = await action.run(parsed, ctx as never)
    return { result, verified: await action.verify(parsed, ctx as never) }
  }
  /** One run of the probe, and how long it took against the emulated kernel. */
  const probe = async (name: 'mounts' | 'exports', input: object) => {
    const started = Date.now()
    const result = await storage.probes?.[name]?.run(input as never, ctx as never)
    if (!result) throw new Error(`no storage.${name} probe`)
    return { ...result, ms: Date.now() - started }
  }
  const kernelMounts = async () =>
    (await sh('cat /proc/mounts')).split('\n').filter((l) => l.includes(' /srv/data '))
  afterAll(() => vm.stop())

  it(
    'exports the device with the real nbd-server and the probe lists it',
    async () => {
      // What an administrator prepares once: the filesystem and nbd-server's config (listing on,
      // or `nbd-client -l` is refused and the export cannot be watched).
      await sh(
        [
          `dd if=/dev/zero of=${IMAGE} bs=1M count=64 2>/dev/null`,
          `/usr/sbin/mkfs.gfs2 -O -p lock_nolock -t tandem:data -j 1 -J 8 ${IMAGE} >/dev/null`,
          'mkdir -p /etc/nbd-server /var/run /srv/data',
          `printf '[generic]\\nallowlist = true\\n[data]\\nexportname = ${IMAGE}\\n' >${CONFIG}`,
        ].join(' && '),
      )
      const { result, verified } = await act('export', { export: 'data-export' })
      expect(result.summary).toBe('data-export exported by storage1')
      expect(verified.ok, verified.detail).toBe(true)
      expect(await sh('pidof nbd-server')).toMatch(/^\d+/)
      const exports = await probe('exports', {})
      console.log(`[storage] exports probe on the VM: ${exports.ms} ms`)
      expect(exports.facts?.exports).toEqual({
        'data-export': { state: 'exported', server: 'storage1' },
      })
    },
    SLOW,
  )

  it(
    'imports it with the real nbd-client: the kernel connects /dev/nbd0 with its size',
    async () => {
      const { result, verified } = await act('import', { export: 'data-export', node: 'node1' })
      expect(result.summary).toBe('data-export imported on node1')
      expect(verified.ok, verified.detail).toBe(true)
      // The kernel's own view: a pid while a client holds the device, 64 MiB in 512-byte sectors.
      expect(await sh('cat /sys/block/nbd0/pid')).toMatch(/^\d+\n$/)
      expect(await sh('cat /sys/block/nbd0/size')).toBe('131072\n')
      const again = await act('import', { export: 'data-export', node: 'node1' })
      expect(again.result.summary).toBe('data-export already imported on node1')
    },
    SLOW,
  )

  it(
    'mounts GFS2 with the inventory options, and the next gfs check sees it within an interval',
    async () => {
      const { result, verified } = await act('mount', { volume: 'gfs-data', node: 'node1' })
      expect(result.summary).toBe('gfs-data mounted on node1')
      expect(verified.ok, verified.detail).toBe(true)
      const mounts = await kernelMounts()
      expect(mounts).toHaveLength(1)
      expect(mounts[0]).toMatch(/^\/dev\/nbd0 \/srv\/data gfs2 rw,noatime[, ]/)
      const seen = await probe('mounts', { node: 'node1' })
      console.log(`[storage] mounts probe on the VM: ${seen.ms} ms`)
      expect(seen.ms).toBeLessThan(CHECK_INTERVAL_MS)
      expect(seen.status, seen.detail).toBe('ok')
      expect(seen.facts?.mounts).toEqual({
        'gfs-data/node1': { state: 'mounted', import: 'imported' },
      })
      expect(seen.data).toMatchObject({
        mounts: [{ proto: 'lock_nolock', table: 'tandem:data.0', sectors: 131072 }],
      })
    },
    SLOW,
  )

  it(
    'sees a forced withdraw on the next gfs check, and recovers by unmount and mount',
    async () => {
      // GFS2's own switch: writing 1 to sysfs withdraws the filesystem as an I/O error would.
      await sh('for f in /sys/fs/gfs2/*/withdraw; do echo 1 >"$f"; done')
      expect(await sh('cat /sys/fs/gfs2/*/withdraw')).toBe('1\n')
      // The kernel turns a withdrawn superblock read-only (the lab's simulation says so too).
      expect((await kernelMounts())[0]).toMatch(/ gfs2 ro[, ]/)
      const seen = await probe('mounts', { node: 'node1' })
      expect(seen.ms).toBeLessThan(CHECK_INTERVAL_MS)
      expect(seen.status).toBe('critical')
      expect(seen.facts?.mounts).toEqual({
        'gfs-data/node1': { state: 'withdrawn', import: 'imported' },
      })
      await expect(act('mount', { volume: 'gfs-data', node: 'node1' })).rejects.toThrow(
        /withdrawn on node1/,
      )
      const { verified } = await act('recover_withdrawn', { volume: 'gfs-data', node: 'node1' })
      expect(verified.ok, verified.detail).toBe(true)
      expect(await kernelMounts()).toHaveLength(1)
      expect(await sh('cat /sys/fs/gfs2/*/withdraw')).toBe('0\n')
    },
    SLOW,
  )

  it(
    'unmounts: the kernel no longer lists it, and the check says missing',
    async () => {
      const { result, verified } = await act('unmount', { volume: 'gfs-data', node: 'node1' })
      expect(result.summary).toBe('gfs-data unmounted on node1')
      expect(verified.ok, verified.detail).toBe(true)
      expect(await kernelMounts()).toEqual([])
      const seen = await probe('mounts', { node: 'node1' })
      expect(seen.facts?.mounts).toEqual({
        'gfs-data/node1': { state: 'missing', import: 'imported' },
      })
    },
    SLOW,
  )

  it(
    'reports the export down once nbd-server is gone',
    async () => {
      // The listener and its per-connection child: the child may be gone before it is signalled.
      await vm.sh('killall nbd-server')
      expect((await vm.sh('pidof nbd-server')).code).toBe(1)
      const seen = await probe('exports', {})
      expect(seen.status).toBe('critical')
      expect(seen.facts?.exports).toEqual({
        'data-export': { state: 'down', server: 'storage1' },
      })
      expect(seen.detail).toMatch(/^data-export: /)
    },
    SLOW,
  )
})
