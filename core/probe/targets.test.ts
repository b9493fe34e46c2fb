import { describe, expect, it } from 'vitest'
import { Config, createInventory } from '../inventory/index.ts'
import { planTargets } from './targets.ts'

const inventory = (over: Record<string, unknown> = {}) =>
  createInventory(
    Config.parse({
      nodes: [
        { name: 'director', address: '127.0.1.10', roles: ['director'] },
        {
          name: 'node1',
          address: '127.0.1.1',
          checks: [
            { name: 'ssh', kind: 'tcp', port: 22 },
            { name: 'icmp', kind: 'ping' },
          ],
        },
        { name: 'node2', address: '127.0.1.2' },
      ],
      services: [
        {
          name: 'web',
          lvs: { director: 'director', address: '127.0.2.1', port: 80 },
          real_servers: [{ node: 'node1', port: 8080 }, { node: 'node2' }],
          checks: [
            { name: 'http', kind: 'http', path: '/healthz' },
            { name: 'admin', kind: 'tcp', port: 9000 },
          ],
        },
      ],
      ...over,
    }),
  )

describe('planTargets', () => {
  it('runs a service check against every real server and a node check against the node', () => {
    const targets = planTargets(inventory()).map((t) => [t.id, t.address, t.port])
    expect(targets).toEqual([
      ['node/node1/ssh', '127.0.1.1', 22],
      ['node/node1/icmp', '127.0.1.1', undefined],
      ['web/node1/http', '127.0.1.1', 8080],
      ['web/node1/admin', '127.0.1.1', 9000],
      ['web/node2/http', '127.0.1.2', 80],
      ['web/node2/admin', '127.0.1.2', 9000],
    ])
  })

  it('refuses a tcp check that has no port anywhere, naming the check', () => {
    const broken = inventory({
      services: [
        {
          name: 'db',
          real_servers: [{ node: 'node1' }],
          checks: [{ name: 'pg', kind: 'tcp' }],
        },
      ],
    })
    expect(() => planTargets(broken)).toThrow(
      '[probe] db/node1/pg: a tcp check needs a port (on the check or the real server)',
    )
  })
})
