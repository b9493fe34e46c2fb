// rgmanager names and the meaning of clusvcadm's exit codes (the daemon's RG_* reply, modulo 256).
import { describe, expect, it } from 'vitest'
import { createInventory, parseConfig } from '../../core/inventory/index.ts'
import type { CommandResult } from '../../core/plugin/index.ts'
import { rgName, toolError } from './tools.ts'

const inventory = createInventory(
  parseConfig(
    'test.yaml',
    `
cluster: { name: demo, manager: rgmanager }
nodes: [{ name: node1, address: 127.0.1.1 }]
services:
  - { name: db, cluster: { rgmanager: { service: postgres } } }
  - { name: web, cluster: { rgmanager: { service: "service:www" } } }
vms: [{ name: guest1, host: node1 }]
`,
  ),
)

function result(code: number | null, stdout: string, stderr = ''): CommandResult {
  return { code, signal: null, stdout, stderr, durationMs: 1, timedOut: false, truncated: false }
}

describe('rgName', () => {
  it('uses the inventory placement, vm: for guests, service: otherwise', () => {
    expect(rgName(inventory, 'db')).toBe('service:postgres')
    expect(rgName(inventory, 'web')).toBe('service:www')
    expect(rgName(inventory, 'guest1')).toBe('vm:guest1')
    expect(rgName(inventory, 'other')).toBe('service:other')
    expect(rgName(inventory, 'vm:x')).toBe('vm:x')
  })
})

describe('toolError', () => {
  const cases: [CommandResult, string][] = [
    [
      result(243, 'Trying to relocate service:db...Fencing operation pending; try again later\n'),
      'FENCE_PENDING',
    ],
    [
      result(239, 'Trying to relocate service:db...Failed; service running on original owner\n'),
      'RELOCATE_FAILED',
    ],
    [
      result(250, 'Local machine freezing service:db...Temporary failure; try again\n'),
      'TRY_AGAIN',
    ],
    [result(255, 'Trying to relocate service:db...Failure\n'), 'FAILED'],
    [result(1, 'Could not connect to cluster service\n'), 'CLUSTER_UNREACHABLE'],
    [
      result(255, '', 'ssh: connect to host 127.0.1.2 port 22: No route to host\n'),
      'NODE_UNREACHABLE',
    ],
    [{ ...result(null, ''), signal: 'SIGKILL', timedOut: true }, 'TIMEOUT'],
  ]
  for (const [run, kind] of cases)
    it(`${run.code ?? run.signal} ${run.stdout.trim() || run.stderr.trim()} → ${kind}`, () => {
      const error = toolError(run, 'clusvcadm')
      expect(error.kind).toBe(kind)
      expect(error.toolMessage).toBe(run.stdout.trim() || run.stderr.trim() || 'exit SIGKILL')
      expect(error.message).toMatch(/^\[rgmanager\] clusvcadm: /)
    })
})
