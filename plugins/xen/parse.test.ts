// Unit tests of the toolstack parsers and of how tool failures are typed (no processes).
import { describe, expect, it } from 'vitest'
import type { CommandResult } from '../../core/plugin/index.ts'
import { kibToMiB, parseKeyValues, parseVirshList, parseVirshState, parseXlList } from './parse.ts'
import { classify } from './toolstack.ts'

describe('parseXlList', () => {
  it('reads xl list (tab-separated header) and xm list (blank ID of an inactive domain)', () => {
    const xl =
      'Name                                        ID   Mem VCPUs\tState\tTime(s)\n' +
      'Domain-0                                     0  1024     4     r-----    1843.2\n' +
      'guest1                                       3  2048     1     -b----      12.0\n' +
      'guest2                                       4   512     1     --p---       0.4\n' +
      'dying                                        5   512     1     ---s-d       0.4\n'
    expect(parseXlList(xl)).toEqual([
      { name: 'Domain-0', id: 0, memoryMiB: 1024, state: 'running' },
      { name: 'guest1', id: 3, memoryMiB: 2048, state: 'blocked' },
      { name: 'guest2', id: 4, memoryMiB: 512, state: 'paused' },
      { name: 'dying', id: 5, memoryMiB: 512, state: 'dying' },
    ])
    const xm =
      'Name                                        ID   Mem VCPUs      State   Time(s)\n' +
      'old-guest                                       1024     1     ------      0.0\n'
    expect(parseXlList(xm)).toEqual([
      { name: 'old-guest', id: null, memoryMiB: 1024, state: 'blocked' },
    ])
  })
})

describe('virsh output', () => {
  it('reads the list table (virsh 9.0.0 layout)', () => {
    const text =
      ' Id   Name                     State\n-----------------------------------------\n' +
      ' 2    a-very-long-guest-name   running\n -    guest1                   shut off\n\n'
    expect(parseVirshList(text)).toEqual([
      { name: 'a-very-long-guest-name', id: 2, state: 'running' },
      { name: 'guest1', id: null, state: 'shutoff' },
    ])
  })

  it('reads domstate (with a reason) and key/value blocks', () => {
    expect(parseVirshState('shut off (destroyed)\n\n')).toBe('shutoff')
    expect(parseVirshState('paused\n\n')).toBe('paused')
    const info = parseKeyValues('CPU model:           i686\nMemory size:         3145728 KiB\n\n')
    expect(info).toEqual({ 'CPU model': 'i686', 'Memory size': '3145728 KiB' })
    expect(kibToMiB(info['Memory size'])).toBe(3072)
    expect(parseKeyValues('free_memory            : 5120\n').free_memory).toBe('5120')
  })
})

describe('classify', () => {
  const failed = (stderr: string, code = 1): CommandResult => ({
    code,
    signal: null,
    stdout: '',
    stderr,
    durationMs: 5,
    timedOut: false,
    truncated: false,
  })

  it.each([
    ['failed to free memory for the domain\n', 'NO_MEMORY'],
    ["error: internal error: libxenlight failed to get free memory for domain 'g'\n", 'NO_MEMORY'],
    [
      'Error: Not enough memory is available, and dom0 cannot be shrunk any further (from n3)\n',
      'NO_MEMORY',
    ],
    ['g is an invalid domain identifier (rc=-6)\n', 'NO_SUCH_DOMAIN'],
    ["Error: Domain 'g' does not exist.\n", 'NO_SUCH_DOMAIN'],
    ["error: failed to get domain 'g'\n", 'NO_SUCH_DOMAIN'],
    ['error: Domain is already active\n', 'ALREADY_RUNNING'],
    ["Error: can't connect: [Errno 113] No route to host\n", 'TARGET_UNREACHABLE'],
    [
      'error: Cannot recv data: ssh: connect to host n3 port 22: No route to host: Connection reset by peer\n',
      'TARGET_UNREACHABLE',
    ],
  ])('%s → %s', (stderr, kind) => {
    expect(classify(failed(stderr), 'node1', 'migrate')).toMatchObject({
      kind,
      toolMessage: stderr.trim(),
    })
  })

  it('tells a dead source (ssh exit 255) from a dead target', () => {
    const error = classify(
      failed('ssh: connect to host 127.0.1.1 port 22: No route to host\r\n', 255),
      'node1',
      'list',
    )
    expect(error).toMatchObject({ kind: 'HOST_UNREACHABLE', exitCode: 255 })
    expect(error.message).toBe(
      '[xen] list on node1: ssh: connect to host 127.0.1.1 port 22: No route to host',
    )
  })
})
