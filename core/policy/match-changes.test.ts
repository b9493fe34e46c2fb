// The editor's "policies whose matches change": the shipped policies against the demo site, edited.
import { describe, expect, it } from 'vitest'
import { demo } from '../../test/policy/fixtures.ts'
import { type Config, createInventory } from '../inventory/index.ts'
import { loadPolicies } from './directory.ts'
import { matchChanges } from './match-changes.ts'

async function changesFor(edit: (config: Config) => void) {
  const { config, inventory, registry } = await demo()
  const next = structuredClone(config)
  edit(next)
  const policies = await loadPolicies('policies', { registry, inventory })
  return matchChanges({ before: inventory, after: createInventory(next), policies })
}

describe('matchChanges', () => {
  it('says nothing when the inventory did not change', async () => {
    expect(await changesFor(() => {})).toEqual([])
  })

  it('a removed real server no longer matches real-server-failed, and node3 failover stops draining it', async () => {
    const changes = await changesFor((c) => {
      const web = c.services.find((s) => s.name === 'web')!
      web.real_servers = web.real_servers.filter((r) => r.node !== 'node3')
    })
    const removed = changes.filter((c) => c.change === 'removed')
    expect(removed.map((c) => `${c.policy}: ${c.event}`)).toEqual([
      'real-server-failed: check.failed web/node3/http',
    ])
    expect(removed[0]?.before).toEqual(['lvs.drain service=web node=node3'])
    const failover = changes.find((c) => c.policy === 'node-down-failover')
    expect(failover).toMatchObject({ event: 'node.down node3', change: 'plan' })
    expect(failover?.before).toContain('lvs.drain service=web node=node3')
    expect(failover?.after).not.toContain('lvs.drain service=web node=node3')
  })

  it('a new cluster node becomes a subject of node-down-failover', async () => {
    const changes = await changesFor((c) => {
      c.nodes.push({ ...structuredClone(c.nodes.find((n) => n.name === 'node3')!), name: 'node4' })
      c.services.find((s) => s.name === 'web')!.real_servers.push({ node: 'node4', weight: 1 })
    })
    const added = changes.filter((c) => c.change === 'added' && c.event === 'node.down node4')
    expect(added.map((c) => c.policy)).toEqual(['node-down-failover'])
    expect(added[0]?.before).toEqual([])
    expect(added[0]?.after).toEqual(
      expect.arrayContaining(['fence.fence node=node4', 'lvs.drain service=web node=node4']),
    )
    expect(
      changes.some(
        (c) => c.policy === 'real-server-failed' && c.event === 'check.failed web/node4/http',
      ),
    ).toBe(true)
  })
})
