import { describe, expect, it } from 'vitest'
import { membershipOf } from './membership.ts'

describe('membership views from cluster probes', () => {
  it("reads rgmanager.membership's data: members online, nodes with their state", () => {
    const view = membershipOf({
      cluster: 'demo',
      quorate: true,
      members: ['node1', 'node3'],
      nodes: [
        { name: 'node1', online: true, local: true },
        { name: 'node2', online: false, local: false },
        { name: 'node3', online: true, local: false },
      ],
    })
    expect(view).toEqual({
      quorate: true,
      members: new Map([
        ['node1', true],
        ['node3', true],
        ['node2', false],
      ]),
    })
  })

  it("reads pacemaker.status's data: an online but unclean node is not a live member", () => {
    const view = membershipOf({
      quorum: true,
      quorate: true,
      members: ['node1'],
      nodes: [
        { name: 'node1', online: true, unclean: false, standby: false },
        { name: 'node2', online: true, unclean: true, standby: false },
      ],
    })
    expect(view?.members.get('node2')).toBe(false)
    expect(view?.members.get('node1')).toBe(true)
  })

  it('knows an unknown quorum (no DC) from a quorate one, and ignores data that is no view', () => {
    expect(membershipOf({ quorum: null, quorate: null, members: [], nodes: [] })?.quorate).toBe(
      undefined,
    )
    expect(membershipOf({ table: [] })).toBeUndefined()
    expect(membershipOf({ members: 'node1' })).toBeUndefined()
    expect(
      membershipOf({ members: [{ name: 'node1', state: 'Online' }] })?.members.get('node1'),
    ).toBe(true)
  })
})
