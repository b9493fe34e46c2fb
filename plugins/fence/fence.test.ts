// Unit tests of the fence plugin's parsers and argv builders (no processes).
import { describe, expect, it } from 'vitest'
import { clusterArgv, parseFenceHistory } from './cluster.ts'
import { FenceConfig } from './config.ts'
import { parseMetadata } from './metadata.ts'
import { describeRun } from './protocol.ts'

// An excerpt of `printf 'action=metadata\n' | fence_virsh` (fence-agents 4.12.1).
const METADATA = `<?xml version="1.0" ?>
<resource-agent name="fence_virsh" shortdesc="Fence agent for virsh" >
<parameters>
	<parameter name="ip" unique="0" required="1" obsoletes="ipaddr">
		<getopt mixed="-a, --ip=[ip]" />
		<content type="string"  />
	</parameter>
	<parameter name="ipaddr" unique="0" required="1" deprecated="1">
		<getopt mixed="-a, --ip=[ip]" />
		<content type="string"  />
	</parameter>
	<parameter name="ipport" unique="0" required="0">
		<getopt mixed="-u, --ipport=[port]" />
		<content type="integer" default="22"  />
	</parameter>
</parameters>
<actions>
	<action name="on" automatic="0"/>
	<action name="off" />
	<action name="status" />
</actions>
</resource-agent>
`

describe('parseMetadata', () => {
  it('reads options with their aliases and the actions', () => {
    expect(parseMetadata(METADATA)).toEqual({
      params: [
        { name: 'ip', required: true, deprecated: false, obsoletes: 'ipaddr', type: 'string' },
        { name: 'ipaddr', required: true, deprecated: true, type: 'string' },
        { name: 'ipport', required: false, deprecated: false, type: 'integer' },
      ],
      actions: ['on', 'off', 'status'],
    })
  })

  it('refuses a document that is not an agent description', () => {
    expect(() => parseMetadata('<html><body>login</body></html>')).toThrow('no <resource-agent>')
  })
})

describe('cluster modes', () => {
  it('builds fence_node and stonith_admin command lines', () => {
    const rg = FenceConfig.parse({ mode: 'fence_node' })
    expect(clusterArgv(rg, 'node2')).toEqual(['fence_node', '-v', 'node2'])
    expect(clusterArgv(rg, 'node2', true)).toEqual(['fence_node', '-U', 'node2'])
    const pcmk = FenceConfig.parse({
      mode: 'stonith_admin',
      action: 'reboot',
      cluster_timeout: '90s',
    })
    expect(clusterArgv(pcmk, 'node2')).toEqual([
      'stonith_admin',
      '--reboot',
      'node2',
      '--timeout',
      '90',
    ])
  })

  it('parses the fencing history, whatever list wraps the events', () => {
    const events = parseFenceHistory(
      '<pacemaker-result api-version="2.25" request="stonith_admin --history node2 --output-as=xml">\n  <list name="fencing history">\n    <fence_event action="reboot" target="node2" client="stonith_admin.1" origin="node1" status="success" delegate="node3" completed="2026-11-25 14:42:35 +01:00"/>\n    <fence_event action="off" target="node2" client="c" origin="node1" status="failed" completed="2026-11-25 14:40:00Z"/>\n  </list>\n  <status code="0" message="OK"/>\n</pacemaker-result>\n',
    )
    expect(events).toEqual([
      {
        action: 'reboot',
        target: 'node2',
        status: 'success',
        delegate: 'node3',
        completed: Date.parse('2026-11-25T13:42:35Z') / 1000,
      },
      {
        action: 'off',
        target: 'node2',
        status: 'failed',
        completed: Date.parse('2026-11-25T14:40:00Z') / 1000,
      },
    ])
  })
})

describe('describeRun', () => {
  it('says what an agent run did in one line', () => {
    const base = {
      argv: ['/usr/sbin/fence_ipmilan'],
      stdinKeys: [],
      device: 'ipmi',
      agent: 'fence_ipmilan',
      action: 'off' as const,
      warnings: [],
    }
    expect(
      describeRun({
        ...base,
        exitCode: 1,
        timedOut: false,
        durationMs: 20,
        message: 'Failed: a\nsecond',
      }),
    ).toBe('ipmi off: exit 1: Failed: a / second')
    expect(
      describeRun({ ...base, exitCode: null, timedOut: true, durationMs: 60_400, message: '' }),
    ).toBe('ipmi off: timed out after 60s')
  })
})
