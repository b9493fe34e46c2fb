// crm_mon XML parsing, checked on the real Pacemaker 2.1.5 output in shared/reference.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { describePlacement, findResource, parseCrmMon } from './crm-mon.ts'

// A copy of ../shared/reference/pacemaker-crm_mon.xml, kept in the repository so CI has it.
const REFERENCE = new URL('../../test/fixtures/pacemaker-crm_mon.xml', import.meta.url)

function crmMonAvailable(): boolean {
  try {
    execFileSync('crm_mon', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    console.warn('SKIPPED crm_mon error test: crm_mon not installed (pacemaker-cli-utils)')
    return false
  }
}

describe('parseCrmMon on real crm_mon output', () => {
  const status = parseCrmMon(readFileSync(REFERENCE, 'utf8'))

  it('reads nodes, and no DC / unknown quorum for an offline CIB', () => {
    expect(status.dc).toBeNull()
    expect(status.quorum).toBeNull()
    expect(
      status.nodes.map((n) => [n.name, n.online, n.standby, n.unclean, n.resourcesRunning]),
    ).toEqual([
      ['node1', true, false, false, 4],
      ['node2', true, false, false, 2],
      ['node3', true, false, false, 1],
    ])
  })

  it('places a group where all its members run, a clone everywhere it has an instance', () => {
    const where = (id: string) => findResource(status, id)?.nodes
    expect(where('web')).toEqual(['node1'])
    expect(where('vip')).toEqual(['node1'])
    expect(where('db')).toEqual(['node2'])
    expect(where('fence-dummy')).toEqual(['node1'])
    expect(where('ping-clone')).toEqual(['node1', 'node2', 'node3'])
    expect(where('ping')).toEqual(['node1', 'node2', 'node3'])
    expect(findResource(status, 'web')?.kind).toBe('group')
    expect(findResource(status, 'db')).toMatchObject({
      agent: 'ocf:pacemaker:Dummy',
      role: 'Started',
    })
    expect(describePlacement(findResource(status, 'ping-clone')!)).toBe(
      'ping-clone on node1, node2, node3',
    )
    expect(status.failures).toEqual([])
  })

  it.runIf(crmMonAvailable())(
    'turns crm_mon’s in-XML connection error into CIB_UNAVAILABLE',
    () => {
      // crm_mon exits 0 here and reports the failure inside the XML.
      const xml = execFileSync('crm_mon', ['--output-as=xml'], {
        env: { ...process.env, CIB_file: '/nonexistent/cib.xml' },
      }).toString()
      expect(() => parseCrmMon(xml)).toThrow(
        expect.objectContaining({
          kind: 'CIB_UNAVAILABLE',
          toolMessage: 'Could not connect to the CIB: No such device or address',
        }),
      )
    },
  )

  it('refuses output that is not crm_mon XML', () => {
    expect(() => parseCrmMon('crm_mon: command not found')).toThrow(
      expect.objectContaining({ kind: 'BAD_OUTPUT' }),
    )
  })
})
