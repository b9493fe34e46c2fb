// clustat -x parsing: the layout of clustat.c's xml printers, quorum disks, refusals printed before the XML.
import { describe, expect, it } from 'vitest'
import { isRunning, parseClustat, whereItRan } from './clustat.ts'

// As clustat 3.x prints it on a two-node cluster with a quorum disk (FQDN node names, the disk
// listed as a node with qdisk="1" and node id 0).
const QDISK_CLUSTER = `<?xml version="1.0"?>
<clustat version="4.1.1">
  <cluster name="prod" id="22068" generation="172"/>
  <quorum quorate="1" groupmember="1"/>
  <nodes>
    <node name="a.example.net" state="1" local="0" estranged="0" rgmanager="1" rgmanager_master="0" qdisk="0" nodeid="0x00000001"/>
    <node name="b.example.net" state="1" local="1" estranged="0" rgmanager="1" rgmanager_master="0" qdisk="0" nodeid="0x00000002"/>
    <node name="/dev/disk/by-id/scsi-3600-part1" state="1" local="0" estranged="0" rgmanager="0" rgmanager_master="0" qdisk="1" nodeid="0x00000000"/>
  </nodes>
  <groups>
    <group name="service:nfs" state="112" state_str="started" flags="1" flags_str="frozen" owner="a.example.net" last_owner="b.example.net" restarts="2" last_transition="1700000000" last_transition_str="Tue Nov 14 22:13:20 2023"/>
    <group name="vm:mail" state="114" state_str="failed" flags="0" flags_str="" owner="none" last_owner="a.example.net" restarts="0" last_transition="1700000001" last_transition_str="Tue Nov 14 22:13:21 2023"/>
  </groups>
</clustat>
`

describe('parseClustat', () => {
  it('reads members (not the quorum disk), quorum and every service', () => {
    const status = parseClustat(QDISK_CLUSTER)
    expect(status.cluster).toEqual({ name: 'prod', id: 22068, generation: 172 })
    expect(status.quorate).toBe(true)
    expect(status.nodes).toEqual([
      { name: 'a.example.net', nodeid: 1, online: true, local: false, rgmanager: true },
      { name: 'b.example.net', nodeid: 2, online: true, local: true, rgmanager: true },
    ])
    expect(status.services).toEqual([
      {
        name: 'service:nfs',
        state: 'started',
        stateCode: 112,
        flags: ['frozen'],
        owner: 'a.example.net',
        lastOwner: 'b.example.net',
        restarts: 2,
        lastTransition: 1700000000,
      },
      {
        name: 'vm:mail',
        state: 'failed',
        stateCode: 114,
        flags: [],
        owner: null,
        lastOwner: 'a.example.net',
        restarts: 0,
        lastTransition: 1700000001,
      },
    ])
    const [nfs, mail] = status.services ?? []
    expect([nfs && isRunning(nfs), mail && isRunning(mail)]).toEqual([true, false])
    expect(mail && whereItRan(mail)).toBe('a.example.net')
  })

  it('keeps what clustat said before the XML and reports no service list when inquorate', () => {
    const status = parseClustat(
      'Service states unavailable: Operation requires quorum\n<?xml version="1.0"?>\n<clustat version="4.1.1">\n' +
        '  <cluster name="prod" id="1" generation="9"/>\n  <quorum quorate="0"\n groupmember="0"/>\n' +
        '  <nodes>\n    <node name="a" state="1" local="1" estranged="0" rgmanager="0" rgmanager_master="0" qdisk="0" nodeid="0x00000001"/>\n  </nodes>\n</clustat>\n',
    )
    expect(status.quorate).toBe(false)
    expect(status.services).toBeNull()
    expect(status.notice).toBe('Service states unavailable: Operation requires quorum')
  })

  it('tells an empty service list from a missing one', () => {
    const empty = parseClustat(
      '<?xml version="1.0"?>\n<clustat version="4.1.1">\n  <groups>\n  </groups>\n</clustat>\n',
    )
    expect(empty.services).toEqual([])
    expect(empty.quorate).toBeNull()
  })

  it('refuses output that is not clustat XML, quoting it', () => {
    expect(() => parseClustat('Could not connect to CMAN: Connection refused\n')).toThrow(
      expect.objectContaining({
        kind: 'BAD_OUTPUT',
        toolMessage: 'Could not connect to CMAN: Connection refused',
      }),
    )
    expect(() =>
      parseClustat(
        '<?xml version="1.0"?>\n<clustat><nodes><node name="a" state="7"/></nodes></clustat>',
      ),
    ).toThrow(expect.objectContaining({ kind: 'BAD_OUTPUT' }))
  })
})
