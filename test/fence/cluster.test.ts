// Cluster-driven fencing: tandem asks fence_node (cman) or stonith_admin (Pacemaker) and reads
// the answer back; the lab tools walk the cluster's own topology, the real stonith_admin shows
// what happens when no fencer runs.
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { PluginError } from '../../core/plugin/index.ts'
import fence from '../../plugins/fence/index.ts'
import { labContext } from '../lab/plugin-context.ts'
import { readWorld } from '../lab/world.mjs'
import { setNode } from '../xen/lab.ts'

const fenceAction = fence.actions!.fence!
const statusAction = fence.actions!.status!

function device(ip: string, plug?: string) {
  return {
    agent: 'fence_lab',
    options: { ip, username: 'root', password: 'x', ...(plug ? { plug } : {}) },
  }
}

function setup(
  mode: 'fence_node' | 'stonith_admin',
  behaviours: Record<string, unknown> = {},
  more = {},
) {
  return labContext(fence, {
    inventory: {
      nodes: ['node1', 'node2', 'node3'].map((name, i) => ({
        name,
        address: `127.0.1.${i + 1}`,
        ssh: {},
      })),
    },
    config: { mode, run_on: 'node1', cluster_timeout: '5s', ...more },
    world: {
      nodes: {
        node1: { up: true, power: 'on', address: '127.0.1.1' },
        node2: { up: true, power: 'on', address: '127.0.1.2' },
        node3: { up: true, power: 'on', address: '127.0.1.3' },
      },
      fence: {
        devices: behaviours,
        topology: {
          node2: {
            methods: [[device('10.0.0.2', 'node2')], [device('10.0.0.20', 'node2')]],
            unfence: [device('10.0.0.20', 'node2')],
          },
        },
      },
    },
  })
}

describe('fence_node mode (rgmanager / cman)', () => {
  it('asks fence_node on the cluster node and reports the cluster as the confirmer', async () => {
    const ctx = setup('fence_node')
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    expect(result.data).toMatchObject({ node: 'node2', agentSaysOff: true, confirmedBy: 'cluster' })
    expect(ctx.ran[0]).toMatchObject({ argv: ['fence_node', '-v', 'node2'], node: 'node1' })
    // cluster.conf methods have no action: the agent's default (reboot) power-cycles the node.
    expect(readWorld().nodes.node2).toMatchObject({ power: 'on', up: true })
  })

  it('asks the first live member (never the victim) when run_on is not set', async () => {
    const ctx = setup('fence_node', {}, { run_on: undefined })
    setNode('node1', { up: false, power: 'off' })
    await fenceAction.run({ node: 'node2' }, ctx)
    expect(ctx.ran.map((c) => c.node)).toEqual(['node1', 'node3'])
    expect(readWorld().nodes.node2).toMatchObject({ up: true })
  })

  it('keeps fence_node words when every method fails', async () => {
    const ctx = setup('fence_node', {
      '10.0.0.2': { behaviour: 'fail' },
      '10.0.0.20': { behaviour: 'error' },
    })
    const error = (await fenceAction
      .run({ node: 'node2' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error.kind).toBe('FENCE_FAILED')
    expect(error.exitCode).toBe(1)
    expect(error.toolMessage).toBe(
      'fence node2 dev 0.0 agent fence_lab result: error from agent\nfence node2 dev 1.0 agent fence_lab result: error from agent\nfence node2 failed',
    )
  })

  it('says NO_FENCING when cluster.conf has no method for the node', async () => {
    const ctx = setup('fence_node')
    const error = (await fenceAction
      .run({ node: 'node1' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error).toMatchObject({
      kind: 'NO_FENCING',
      exitCode: 2,
      toolMessage: 'fence node1 undefined',
    })
  })

  it('unfences with fence_node -U', async () => {
    const ctx = setup('fence_node')
    const result = await fence.actions!.unfence!.run({ node: 'node2', power_on: true }, ctx)
    expect(result.summary).toBe('node2: unfence node2 success')
  })
})

describe('stonith_admin mode (Pacemaker)', () => {
  it('fences through the levels and confirms in the fencing history', async () => {
    const ctx = setup('stonith_admin', { '10.0.0.2': { behaviour: 'fail' } })
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    expect(ctx.ran.map((c) => c.argv)).toEqual([
      ['stonith_admin', '--fence', 'node2', '--timeout', '5'],
      ['stonith_admin', '--history', 'node2', '--output-as=xml'],
    ])
    expect(result.data).toMatchObject({
      agentSaysOff: true,
      confirmedBy: 'cluster',
      device: 'node1',
    })
    expect(readWorld().nodes.node2).toMatchObject({ power: 'off', up: false })
    const status = await statusAction.run({ node: 'node2' }, ctx)
    expect(status.data).toMatchObject({
      agentSaysOff: true,
      lastFence: { action: 'off', target: 'node2' },
    })
    expect(await fenceAction.verify!({ node: 'node2' }, ctx)).toMatchObject({ ok: true })
  })

  it('turns "Timer expired" (exit 124) into a TIMEOUT with the fencer words', async () => {
    const ctx = setup('stonith_admin', {
      '10.0.0.2': { behaviour: 'fail' },
      '10.0.0.20': { behaviour: 'fail' },
    })
    const error = (await fenceAction
      .run({ node: 'node2' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error).toMatchObject({
      kind: 'TIMEOUT',
      exitCode: 124,
      toolMessage: "stonith_admin: Couldn't fence node2: Timer expired",
    })
    expect(await fenceAction.verify!({ node: 'node2' }, ctx)).toMatchObject({ ok: false })
  })

  it('reports a node without fence devices as NO_SUCH_DEVICE (exit 105)', async () => {
    const ctx = setup('stonith_admin')
    const error = (await fenceAction
      .run({ node: 'node1' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error).toMatchObject({
      kind: 'NO_SUCH_DEVICE',
      exitCode: 105,
      toolMessage: "stonith_admin: Couldn't fence node1: No such device",
    })
  })
})

describe.runIf(existsSync('/usr/sbin/stonith_admin'))(
  'the real stonith_admin (Pacemaker 2.1.5)',
  () => {
    // Only the history is asked here: a real `--fence` without a fencer takes 18 s to give up.
    it('fails as NOT_CONNECTED (exit 102) with its own words when no fencer runs', async () => {
      const ctx = labContext(fence, {
        inventory: { nodes: [{ name: 'node2', address: '127.0.1.2' }] },
        config: { mode: 'stonith_admin', stonith_admin: '/usr/sbin/stonith_admin' },
      })
      const error = (await statusAction
        .run({ node: 'node2' }, ctx)
        .catch((e: unknown) => e)) as PluginError
      expect(error).toMatchObject({ kind: 'NOT_CONNECTED', exitCode: 102 })
      expect(error.toolMessage).toBe(
        'Could not connect to fencer: Transport endpoint is not connected',
      )
      expect(
        await fenceAction.verify!({ node: 'node2' }, ctx).catch((e: unknown) => e),
      ).toMatchObject({
        kind: 'NOT_CONNECTED',
      })
    })
  },
)
