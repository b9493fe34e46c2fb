// End to end: the rgmanager plugin driving the lab's clustat/clusvcadm over a shared world.
import { beforeEach, describe, expect, it } from 'vitest'
import { INVENTORY } from '../../plugins/rgmanager/contract.ts'
import rgmanager from '../../plugins/rgmanager/index.ts'
import type { RgmanagerConfig } from '../../plugins/rgmanager/tools.ts'
import type { RgSection } from '../lab/rgmanager.mjs'
import { readWorld, updateWorld, type World } from '../lab/world.mjs'
import {
  actionOf,
  failure,
  LAB_BIN,
  labCluster,
  labRunner,
  pluginContext,
  said,
} from './support.ts'

let worldFile = ''

beforeEach(() => {
  worldFile = labCluster({
    db: { owner: 'node2', domain: ['node2', 'node3', 'node1'] },
    web: { owner: 'node1' },
    'vm:guest1': { owner: 'node3' },
  })
})

function context(config: Partial<RgmanagerConfig> = {}, timeoutMs?: number) {
  const runner = labRunner()
  const ctx = pluginContext(
    rgmanager,
    {
      clustat: `${LAB_BIN}clustat`,
      clusvcadm: `${LAB_BIN}clusvcadm`,
      env: { TANDEM_LAB_WORLD: worldFile },
      ...config,
    },
    { inventoryYaml: INVENTORY, runner, timeoutMs },
  )
  return { ctx, runner }
}

const action = (name: string) => actionOf(rgmanager, name)
const probe = rgmanager.probes?.membership
if (!probe) throw new Error('no membership probe')

function setNode(name: string, fields: Partial<World['nodes'][string]>) {
  updateWorld((world) => {
    world.nodes[name] = { up: true, power: 'on', ...world.nodes[name], ...fields }
  })
}

function rgSection(world: World): RgSection {
  return world.rgmanager as RgSection
}

function service(name: string) {
  return rgSection(readWorld()).services[name]
}

describe('rgmanager plugin against the lab clustat/clusvcadm', () => {
  it('probes membership, quorum and owners from clustat -x', async () => {
    const { ctx } = context()
    const result = await probe.run({}, ctx)
    expect(result.status).toBe('ok')
    expect(result.data?.members).toEqual(['node1', 'node2', 'node3'])
    expect(result.data?.quorate).toBe(true)
    const services = result.data?.services as { name: string; owner: string }[]
    expect(services.map((s) => [s.name, s.owner])).toEqual([
      ['service:db', 'node2'],
      ['service:web', 'node1'],
      ['vm:guest1', 'node3'],
    ])
    // The inventory's services by their own names, as health stores them (status, health.owners).
    expect(result.facts).toEqual({
      placement: {
        db: { owner: 'node2', lastOwner: null, state: 'started' },
        web: { owner: 'node1', lastOwner: null, state: 'started' },
      },
    })
  })

  it('relocates a service to the named member and verifies it there', async () => {
    const { ctx } = context()
    const relocate = action('relocate')
    const input = { service: 'db', node: 'node3' }
    const planned = await relocate.describe(input, ctx)
    expect(planned[0]?.argv).toEqual([`${LAB_BIN}clusvcadm`, '-r', 'service:db', '-m', 'node3'])
    expect(planned[0]?.note).toBe('relocate service:db (started on node2) to node3')
    const result = await relocate.run(input, ctx)
    expect(result.summary).toBe(
      'Trying to relocate service:db to node3...Success — service:db is now running on node3',
    )
    expect(result.data?.owner).toBe('node3')
    expect(await relocate.verify?.(input, ctx)).toEqual({
      ok: true,
      detail: 'service:db is started on node3',
    })
    expect(service('service:db')).toMatchObject({ owner: 'node3', last_owner: 'node2' })
  })

  it('leaves a service alone when it already runs on the destination', async () => {
    const { ctx, runner } = context()
    const result = await action('relocate').run({ service: 'db', node: 'node2' }, ctx)
    expect(result.summary).toBe('service:db already runs on node2; nothing to do')
    expect(runner.calls.map((c) => c.argv[1])).toEqual(['-x'])
  })

  it('disables, enables, restarts, freezes and thaws, each verified by reading clustat back', async () => {
    const { ctx } = context()
    const steps: [string, Record<string, string>, string][] = [
      ['disable', { service: 'web' }, 'service:web is disabled (last on node1)'],
      ['enable', { service: 'web', node: 'node2' }, 'service:web is started on node2'],
      ['restart', { service: 'web' }, 'service:web is started on node2'],
      ['freeze', { service: 'web' }, 'service:web is started on node2, frozen'],
      ['unfreeze', { service: 'web' }, 'service:web is started on node2'],
    ]
    for (const [name, input, detail] of steps) {
      await action(name).run(input, ctx)
      expect(await action(name).verify?.(input, ctx)).toEqual({ ok: true, detail })
    }
  })

  it('migrates a vm: service to a live member', async () => {
    const { ctx } = context()
    const result = await action('migrate').run({ service: 'guest1', node: 'node1' }, ctx)
    expect(result.summary).toBe('Trying to migrate vm:guest1 to node1...Success')
    expect(service('vm:guest1')).toMatchObject({ owner: 'node1', last_owner: 'node3' })
  })

  it('verify notices a service that ended up somewhere else', async () => {
    updateWorld((world) => {
      const web = rgSection(world).services['service:web']
      if (web) web.fail_start_on = ['node3']
    })
    const { ctx } = context()
    const input = { service: 'web', node: 'node3' }
    const result = await action('relocate').run(input, ctx)
    expect(result.summary).toContain('Warning: service:web is now running on node2')
    expect(await action('relocate').verify?.(input, ctx)).toEqual({
      ok: false,
      detail: 'service:web is started on node2; expected running on node3',
    })
  })
})

describe('rgmanager error cases become typed plugin errors with the tool message kept', () => {
  it('unknown service', async () => {
    const { ctx } = context()
    const error = await failure(action('relocate').run({ service: 'nosuch', node: 'node2' }, ctx))
    expect(error.kind).toBe('NO_SUCH_SERVICE')
    expect(error.exitCode).toBe(252)
    expect(error.toolMessage).toBe(
      'Trying to relocate service:nosuch to node2...Service does not exist',
    )
  })

  it('unknown node is refused before clusvcadm can pick a "closest match"', async () => {
    const { ctx, runner } = context()
    const error = await failure(action('relocate').run({ service: 'db', node: 'node1x' }, ctx))
    expect(error.kind).toBe('UNKNOWN_NODE')
    expect(error.toolMessage).toBe(
      'node1x is not a node of cluster demo (clustat -x lists node1, node2, node3)',
    )
    expect(runner.calls.some((c) => c.argv[0]?.endsWith('clusvcadm'))).toBe(false)
  })

  it('node not a member: relocate refuses, enable and migrate keep clusvcadm’s words', async () => {
    setNode('node3', { up: false, power: 'off' })
    const { ctx } = context()
    const relocate = await failure(action('relocate').run({ service: 'web', node: 'node3' }, ctx))
    expect(relocate.kind).toBe('NODE_NOT_MEMBER')
    await action('disable').run({ service: 'web' }, ctx)
    expect(
      said(await failure(action('enable').run({ service: 'web', node: 'node3' }, ctx))),
    ).toEqual([
      'NODE_NOT_MEMBER',
      244,
      'Member node3 trying to enable service:web...Target node dead / nonexistent',
    ])
    expect(
      said(await failure(action('migrate').run({ service: 'guest1', node: 'node3' }, ctx))),
    ).toEqual(['NODE_NOT_MEMBER', 1, "'node3' is offline"])
  })

  it('inquorate cluster: clusvcadm refuses, the probe is critical', async () => {
    setNode('node2', { up: false })
    setNode('node3', { up: false })
    const { ctx } = context()
    expect(said(await failure(action('enable').run({ service: 'web' }, ctx)))).toEqual([
      'NO_QUORUM',
      247,
      'Local machine trying to enable service:web...Operation requires quorum',
    ])
    const result = await probe.run({}, ctx)
    expect(result.status).toBe('critical')
    expect(result.detail).toBe('demo is inquorate (1 of 3 members online)')
    expect(result.data?.notice).toBe('Service states unavailable: Operation requires quorum')
  })

  it('frozen service and non-vm migration', async () => {
    const { ctx } = context()
    await action('freeze').run({ service: 'db' }, ctx)
    const frozen = await failure(action('relocate').run({ service: 'db', node: 'node1' }, ctx))
    expect([frozen.kind, frozen.toolMessage]).toEqual([
      'FROZEN',
      'Trying to relocate service:db to node1...Failure: Service is frozen',
    ])
    const invalid = await failure(action('migrate').run({ service: 'web', node: 'node2' }, ctx))
    expect([invalid.kind, invalid.exitCode]).toEqual(['INVALID_OPERATION', 248])
  })

  it('a tool that does not answer in time is a TIMEOUT / timeout probe', async () => {
    const { ctx } = context({}, 1)
    expect((await probe.run({}, ctx)).status).toBe('timeout')
    expect((await failure(action('disable').run({ service: 'web' }, ctx))).kind).toBe('TIMEOUT')
  })
})

describe('rgmanager when a member dies', () => {
  it('shows its services stopped for recovery and judges the node and the service critical', async () => {
    setNode('node2', { up: false, power: 'off' })
    const { ctx } = context()
    const node = await probe.run({ node: 'node2' }, ctx)
    expect([node.status, node.detail]).toEqual([
      'critical',
      'node2 is not a cluster member (offline)',
    ])
    const db = await probe.run({ service: 'db' }, ctx)
    expect([db.status, db.detail]).toEqual(['critical', 'service:db is stopped (last on node2)'])
  })

  it('declares the dead owner of a shared-storage service for fencing before it starts elsewhere', async () => {
    const { ctx } = context()
    const relocate = action('relocate')
    const input = { service: 'db', node: 'node1' }
    // Live owner: rgmanager stops db cleanly on node2 before starting it anywhere else.
    expect(await relocate.needsFence?.(input, ctx)).toEqual([])
    setNode('node2', { up: false, power: 'off' })
    expect(await relocate.needsFence?.(input, ctx)).toEqual(['node2'])
    expect(await action('enable').needsFence?.({ service: 'db' }, ctx)).toEqual(['node2'])
    expect(await relocate.needsFence?.({ service: 'db', node: 'node2' }, ctx)).toEqual([])
    // The executor confirms that fence, then runs the step.
    await relocate.run(input, ctx)
    expect(service('service:db')).toMatchObject({
      state: 'started',
      owner: 'node1',
      last_owner: 'node2',
    })
  })

  it('needs no fence for a service without shared storage; a declared from is taken as given', async () => {
    setNode('node1', { up: false, power: 'off' })
    const { ctx, runner } = context()
    const relocate = action('relocate')
    expect(await relocate.needsFence?.({ service: 'web', node: 'node2' }, ctx)).toEqual([])
    expect(
      await relocate.needsFence?.({ service: 'db', node: 'node3', from: 'node2' }, ctx),
    ).toEqual(['node2'])
    expect(
      await relocate.needsFence?.({ service: 'db', node: 'node2', from: 'node2' }, ctx),
    ).toEqual([])
    expect(runner.calls).toEqual([])
  })

  it('runs the tools on the next member when the first does not answer', async () => {
    setNode('node2', { up: false, power: 'off' })
    const { ctx, runner } = context({ run_on: ['node2', 'node1'] })
    const result = await probe.run({}, ctx)
    expect(result.data?.answeredBy).toBe('node1')
    expect(result.data?.local).toBe('node1')
    expect(runner.calls.map((c) => c.node)).toEqual(['node2', 'node1'])
  })
})
