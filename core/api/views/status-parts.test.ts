// Reuse between status builds: same inputs keep the part (and its JSON); the JSON is the status, whole.
import { describe, expect, it } from 'vitest'
import { createBuildMemo, reuse, statusJson } from './status-parts.ts'

describe('reuse and statusJson', () => {
  it('keeps a part while its inputs are the same objects, and makes a new one otherwise', () => {
    const memo = createBuildMemo()
    const up = { state: 'up', since: 1 }
    const first = reuse(memo.nodes, 'node2', [up, undefined], () => ({ name: 'node2', health: up }))
    expect(reuse(memo.nodes, 'node2', [up, undefined], () => ({ other: true }))).toBe(first)
    const down = { state: 'down', since: 2 }
    const next = reuse(memo.nodes, 'node2', [down, undefined], () => ({
      name: 'node2',
      health: down,
    }))
    expect(next).not.toBe(first)
    expect(next.health.state).toBe('down')
  })

  it('serializes to the same value as JSON.stringify, reusing unchanged parts', () => {
    const node = { name: 'node1', health: { state: 'up', since: 1 }, guests: [] }
    const status = {
      cluster: { name: 'demo', manager: null },
      summary: { targets: 2, byState: { up: 2 } },
      nodes: [node, { name: 'node2', health: { state: 'down', since: 2 } }],
      services: [{ name: 'web', realServers: [{ node: 'node1', checks: { http: 'up' } }] }],
      problems: [],
    }
    expect(JSON.parse(statusJson(status))).toEqual(status)
    const changed = {
      ...status,
      nodes: [node, { name: 'node2', health: { state: 'up', since: 3 } }],
    }
    expect(JSON.parse(statusJson(changed))).toEqual(changed)
  })
})
