// Inventory names to kernel terms: what the table will hold for each real server.
import { describe, expect, it } from 'vitest'
import { createInventory, parseConfig } from '../../core/inventory/index.ts'
import { resolveTarget, serverOn } from './targets.ts'

const inventory = createInventory(
  parseConfig(
    'lab.yaml',
    `
nodes:
  - { name: lb, address: 127.0.1.10, roles: [director] }
  - { name: a, address: 127.0.3.1 }
  - { name: b, address: '[2001:DB8:0:0::2]' }
services:
  - name: web
    lvs: { director: lb, address: 127.0.2.10, port: 80, forwarding: route, persistence: 90s, sorry_server: { address: 127.0.3.9 } }
    real_servers:
      - { node: a, port: 8080, weight: 4, thresholds: { upper: 9, lower: 2 } }
      - { node: b, port: 8080, forwarding: masq }
  - name: db
    real_servers: [{ node: a, port: 5432 }]
`,
  ),
)

describe('resolveTarget', () => {
  it('forces the service port on routed servers, keeps it for masquerading', async () => {
    const web = await resolveTarget(inventory, 'web')
    expect(serverOn(web, 'a')).toEqual({
      node: 'a',
      thresholdsDeclared: true,
      server: {
        address: '127.0.3.1',
        port: 80,
        forwarding: 'route',
        weight: 4,
        upper: 9,
        lower: 2,
        tunnel: null,
      },
    })
    expect(serverOn(web, 'b').server).toMatchObject({
      address: '2001:db8::2',
      port: 8080,
      forwarding: 'masq',
      weight: 1,
    })
    expect(serverOn(web, 'b').thresholdsDeclared).toBe(false)
  })

  it('turns persistence into seconds and resolves the sorry server', async () => {
    const web = await resolveTarget(inventory, 'web')
    expect(web.service).toMatchObject({ scheduler: 'wlc', persistence: 90, netmask: null })
    expect(web.sorry).toMatchObject({
      address: '127.0.3.9',
      port: 80,
      forwarding: 'route',
      weight: 1,
    })
  })

  it('names what is wrong with a service or node that cannot be used', async () => {
    await expect(resolveTarget(inventory, 'nope')).rejects.toMatchObject({
      kind: 'UNKNOWN_SERVICE',
    })
    await expect(resolveTarget(inventory, 'db')).rejects.toMatchObject({
      kind: 'NOT_AN_LVS_SERVICE',
    })
    const web = await resolveTarget(inventory, 'web')
    expect(() => serverOn(web, 'lb')).toThrow(
      '[lvs] node "lb" is not a real server of "web" (it has a, b)',
    )
  })
})
