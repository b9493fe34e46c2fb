// The lvs plugin's whole test sequence against the ipvsadm simulator (fast; no VM needed), and
// a director reached over (the lab's) ssh, as the engine's runner does for nodes with `ssh`.
import { afterAll, describe, expect, it } from 'vitest'
import { PluginError } from '../../core/plugin/index.ts'
import { readTable } from '../lab/ipvsadm/table.mjs'
import { updateWorld } from '../lab/world.mjs'
import { lvsContext, simulatorLab } from './harness.ts'
import { LAB_INVENTORY, playScenario, run, scenarios } from './scenarios.ts'

const lab = simulatorLab()
const ctx = lvsContext(lab, LAB_INVENTORY)

describe('lvs plugin against the ipvsadm simulator', () => {
  afterAll(() => lab.stop())
  for (const scenario of scenarios) it(scenario.name, () => playScenario(lab, ctx, scenario))

  it('runs ipvsadm on the director over ssh, and says so when the director is unreachable', async () => {
    const overSsh = lvsContext(
      lab,
      LAB_INVENTORY.replace('roles: [director] }', 'roles: [director], ssh: { user: root } }'),
    )
    await lab.reset()
    const director = { up: true, power: 'on' as const, address: '127.0.1.10' }
    updateWorld((world) => {
      world.nodes.director = director
    })
    await run(overSsh, 'reconcile', { service: 'web' })
    const drained = await run(overSsh, 'drain', { service: 'web', node: 'web1' })
    expect(drained.data).toEqual({ saved_weight: 5, weight: 0 })
    // The director's own table changed (the lab ssh runs it as that node), not this machine's.
    const web = readTable('director').services.find((s) => s.addr === '127.0.2.10')
    expect(web?.dests.map((d) => [d.addr, d.weight])).toEqual([
      ['127.0.3.11', 0],
      ['127.0.3.12', 3],
      ['127.0.3.13', 1],
    ])
    expect(readTable('local').services).toEqual([])
    updateWorld((world) => {
      world.nodes.director = { ...director, power: 'off', up: false }
    })
    const down = await run(overSsh, 'restore', { service: 'web', node: 'web1' }).catch((e) => e)
    expect(down).toBeInstanceOf(PluginError)
    expect(down).toMatchObject({
      kind: 'UNREACHABLE',
      toolMessage: 'ssh: connect to host 127.0.1.10 port 22: No route to host',
      exitCode: 255,
    })
  })
})
