// End to end: evacuating a host with a concurrency limit, restarting a dead host's guests only
// after a confirmed fence, and the xen.domains probe seeing guests down or running twice.
import { describe, expect, it } from 'vitest'
import type { PluginError } from '../../core/plugin/index.ts'
import fence from '../../plugins/fence/index.ts'
import xen from '../../plugins/xen/index.ts'
import { LAB_BIN, labContext } from '../lab/plugin-context.ts'
import { readWorld, updateWorld } from '../lab/world.mjs'
import { hostOf, setNode, xenLab, xenWorld } from './lab.ts'

const { evacuate, restart_elsewhere: restart } = xen.actions!
const domains = xen.probes!.domains!

describe('evacuate', () => {
  it('moves every guest off the host, at most `concurrency` at a time, by free memory', async () => {
    const ctx = xenLab('xl', { guests: { guest4: { host: 'node1', memory: 512, id: 4 } } })
    updateWorld((w) => void Object.assign(w.xen as object, { migrateMs: 1500 }))
    const result = await evacuate!.run({ host: 'node1', concurrency: 2 }, ctx)
    const moved = (result.data as { moved: { vm: string; to: string }[] }).moved
    // node3 has 1024 MiB free: only a small guest may go there; the rest go to node2.
    expect(Object.fromEntries(moved.map((m) => [m.vm, m.to]))).toEqual({
      guest1: 'node2',
      guest2: 'node2',
      guest4: 'node2',
    })
    expect(['guest1', 'guest2', 'guest4'].map(hostOf)).toEqual(['node2', 'node2', 'node2'])
    expect(xenWorld().maxMigrating).toBe(2)
    expect(await evacuate!.verify!({ host: 'node1' }, ctx)).toEqual({
      ok: true,
      detail: 'node1 runs no guests',
    })
  })

  it('moves nothing when the survivors cannot hold every guest', async () => {
    const ctx = xenLab('virsh', { guests: { big: { host: 'node1', memory: 6000, id: 5 } } })
    const error = (await evacuate!
      .run({ host: 'node1' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error.kind).toBe('NO_CAPACITY')
    expect(error.message).toContain('node2 ')
    expect(['guest1', 'guest2', 'big'].map(hostOf)).toEqual(['node1', 'node1', 'node1'])
  })

  it('refuses a dead host: its guests need a fence and a restart, not a migration', async () => {
    const ctx = xenLab('xm')
    setNode('node1', { up: false, power: 'off' })
    const error = (await evacuate!
      .run({ host: 'node1' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error.kind).toBe('HOST_UNREACHABLE')
    expect(error.toolMessage).toContain('ssh: connect to host 127.0.1.1 port 22: No route to host')
  })
})

describe('restart_elsewhere', () => {
  it('declares the dead host as needing a fence first', () => {
    const ctx = xenLab('xl')
    expect(restart!.needsFence!({ vm: 'guest1' }, ctx)).toEqual(['node1'])
    expect(restart!.needsFence!({ vm: 'guest1', from: 'node2' }, ctx)).toEqual(['node2'])
  })

  it.each(['xl', 'xm', 'virsh'] as const)(
    'starts a dead host’s guest on the survivor with room (%s)',
    async (stack) => {
      const ctx = xenLab(stack)
      setNode('node1', { up: false, power: 'off' })
      const result = await restart!.run({ vm: 'guest1', from: 'node1' }, ctx)
      const argv = {
        xl: ['xl', 'create', '/etc/xen/guest1.cfg'],
        xm: ['xm', 'create', '/etc/xen/guest1.cfg'],
        virsh: ['virsh', 'start', 'guest1'],
      }
      expect(result.commands?.[0]).toMatchObject({ node: 'node2', argv: argv[stack] })
      expect(hostOf('guest1')).toBe('node2')
      expect(await restart!.verify!({ vm: 'guest1', from: 'node1' }, ctx)).toMatchObject({
        ok: true,
      })
      expect(xenWorld().violations ?? []).toEqual([])
    },
  )

  it('refuses while the guest still runs on a host that answers', async () => {
    const ctx = xenLab('virsh')
    const error = (await restart!
      .run({ vm: 'guest1' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error).toMatchObject({ kind: 'GUEST_STILL_RUNNING' })
    expect(error.message).toContain('still runs on node1')
    expect(xenWorld().violations ?? []).toEqual([])
  })

  it('keeps the tool’s words when no survivor can start it', async () => {
    const ctx = xenLab('xl')
    setNode('node1', { up: false, power: 'off' })
    const error = (await restart!
      .run({ vm: 'guest1', to: 'node3' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error).toMatchObject({
      kind: 'NO_MEMORY',
      toolMessage: 'Parsing config from /etc/xen/guest1.cfg\nfailed to free memory for the domain',
    })
  })
})

describe('fence before recover, with the plugins the executor drives', () => {
  function recoveryLab() {
    const ctx = xenLab('xl')
    const fenceCtx = labContext(fence, {
      inventory: {
        nodes: ['node1', 'node2', 'node3'].map((name, i) => ({
          name,
          address: `127.0.1.${i + 1}`,
        })),
        fencing: {
          devices: [
            {
              name: 'ipmi-node1',
              agent: 'fence_lab',
              options: { ip: '10.0.0.1', username: 'admin', password: 'env:PW' },
            },
          ],
          nodes: [{ node: 'node1', levels: [['ipmi-node1']] }],
        },
      },
      config: { agents_dir: LAB_BIN, confirm_interval: '50ms' },
      env: { PW: 'secret-pw' },
      worldFile: ctx.worldFile,
    })
    return { ctx, fenceCtx }
  }

  it('a partitioned host still runs its guests: only after its fence is a restart safe', async () => {
    const { ctx, fenceCtx } = recoveryLab()
    // node1 drops off the network: it looks dead, but its guests keep writing to their disks.
    setNode('node1', { partitioned: true })
    const mustFence = restart!.needsFence!({ vm: 'guest1', from: 'node1' }, ctx)
    expect(mustFence).toEqual(['node1'])
    const fenced = await fence.actions!.fence!.run({ node: 'node1' }, fenceCtx)
    expect(fenced.data).toMatchObject({ agentSaysOff: true })
    expect(readWorld().nodes.node1).toMatchObject({ power: 'off' })
    await restart!.run({ vm: 'guest1', from: 'node1' }, ctx)
    expect(hostOf('guest1')).toBe('node2')
    expect(xenWorld().violations ?? []).toEqual([])
  })

  it('without the fence, the same restart would run the guest twice (what the gate prevents)', async () => {
    const { ctx } = recoveryLab()
    setNode('node1', { partitioned: true })
    await restart!.run({ vm: 'guest1', from: 'node1' }, ctx)
    expect(xenWorld().violations).toMatchObject([
      { type: 'started twice', domain: 'guest1', running: ['node1'] },
    ])
  })
})

describe('xen.domains probe', () => {
  it('is ok while every declared guest runs once, and lists what each host runs', async () => {
    const ctx = xenLab('virsh')
    const result = await domains.run({}, ctx)
    expect(result).toMatchObject({ status: 'ok', detail: '3 guests running' })
    expect(result.data?.vms).toEqual({
      guest1: { hosts: ['node1'], home: 'node1' },
      guest2: { hosts: ['node1'], home: 'node1' },
      guest3: { hosts: ['node2'], home: 'node2' },
    })
    expect(result.facts?.vms?.guest3).toEqual({ host: 'node2', hosts: ['node2'], state: 'running' })
  })

  it('is critical when a dead host takes its guests along', async () => {
    const ctx = xenLab('xl')
    setNode('node1', { up: false, power: 'off' })
    const result = await domains.run({}, ctx)
    expect(result).toMatchObject({
      status: 'critical',
      detail: 'not running: guest1, guest2; unreachable: node1',
    })
    expect(result.facts?.vms?.guest1).toEqual({ host: null, hosts: [], state: 'unreachable' })
  })

  it('is critical when a guest runs on two hosts', async () => {
    const ctx = xenLab('xl')
    setNode('node1', { partitioned: true })
    await restart!.run({ vm: 'guest1', from: 'node1' }, ctx)
    setNode('node1', { partitioned: false })
    const result = await domains.run({}, ctx)
    expect(result).toMatchObject({ status: 'critical', detail: 'running twice: guest1' })
    expect(result.facts?.vms?.guest1).toMatchObject({ host: null, hosts: ['node1', 'node2'] })
  })
})
