// ipvsadm argv for each change: edits carry every setting so ipvsadm resets nothing.
import { describe, expect, it } from 'vitest'
import { deleteServerCommand, serverCommand, serviceCommand } from './commands.ts'
import type { RealServer, ServiceRef, VirtualService } from './model.ts'

const web: ServiceRef = { protocol: 'tcp', address: '192.0.2.10', port: 80 }
const server: RealServer = {
  address: '198.51.100.12',
  port: 80,
  forwarding: 'route',
  weight: 3,
  upper: 100,
  lower: 10,
  tunnel: null,
}

describe('serverCommand', () => {
  it('passes forwarding, weight and both thresholds back on an edit', () => {
    expect(serverCommand('-e', web, { ...server, weight: 0 })).toEqual([
      '-e',
      '-t',
      '192.0.2.10:80',
      '-r',
      '198.51.100.12:80',
      '-g',
      '-w',
      '0',
      '-x',
      '100',
      '-y',
      '10',
    ])
  })

  it('keeps non-default tunnel options and leaves ipip (the default) unsaid', () => {
    const gue = { ...server, forwarding: 'tunnel' as const, upper: 0, lower: 0 }
    expect(
      serverCommand('-a', web, {
        ...gue,
        tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' },
      }),
    ).toEqual([
      '-a',
      '-t',
      '192.0.2.10:80',
      '-r',
      '198.51.100.12:80',
      '-i',
      '-w',
      '3',
      '--tun-type',
      'gue',
      '--tun-port',
      '6080',
      '--tun-remcsum',
    ])
    expect(serverCommand('-a', web, { ...gue, tunnel: { type: 'ipip' } }).slice(-3)).toEqual([
      '-i',
      '-w',
      '3',
    ])
  })

  it('brackets IPv6 and names firewall-mark services by mark', () => {
    const v6 = { ...server, address: '2001:db8::2', upper: 0, lower: 0 }
    expect(serverCommand('-a', { protocol: 'fwmark', fwmark: 7, ipv6: true }, v6)).toEqual([
      '-a',
      '-f',
      '7',
      '-6',
      '-r',
      '[2001:db8::2]:80',
      '-g',
      '-w',
      '3',
    ])
    expect(deleteServerCommand(web, server)).toEqual([
      '-d',
      '-t',
      '192.0.2.10:80',
      '-r',
      '198.51.100.12:80',
    ])
  })
})

describe('serviceCommand', () => {
  it('carries persistence, netmask, engine, one-packet and scheduler flags', () => {
    const dns: VirtualService = {
      ref: { protocol: 'udp', address: '192.0.2.10', port: 53 },
      scheduler: 'sh',
      persistence: 300,
      netmask: '255.255.255.0',
      pe: 'sip',
      ops: true,
      schedFlags: 'sh-port',
    }
    expect(serviceCommand('-E', dns)).toEqual([
      '-E',
      '-u',
      '192.0.2.10:53',
      '-s',
      'sh',
      '-p',
      '300',
      '-M',
      '255.255.255.0',
      '--pe',
      'sip',
      '-o',
      '-b',
      'sh-port',
    ])
  })
})
