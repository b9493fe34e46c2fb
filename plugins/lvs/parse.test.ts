// Reading ipvsadm's output: the transcript's own -S -n and listings, and refusing what is not.
import { describe, expect, it } from 'vitest'
import { OutputError, parseCount, parseListing, parseSave } from './parse.ts'

const SAVED = `-A -t 192.0.2.10:80 -s wrr
-a -t 192.0.2.10:80 -r 198.51.100.11:80 -m -w 5
-a -t 192.0.2.10:80 -r 198.51.100.12:80 -g -w 3
-a -t 192.0.2.10:80 -r 198.51.100.13:80 -i -w 1 --tun-type ipip
-A -u 192.0.2.10:53 -s rr -p 300
-a -u 192.0.2.10:53 -r 198.51.100.11:53 -m -w 1
-A -f 42 -s wlc
-a -f 42 -r 198.51.100.14:0 -g -w 2
-A -t [2001:db8::10]:80 -s sh -p 60 -M 64 --pe sip -b sh-port
-a -t [2001:db8::10]:80 -r [2001:db8::2]:80 -i -w 3 --tun-type gue --tun-port 6080 --tun-csum
`

describe('parseSave', () => {
  const table = parseSave(SAVED)

  it('reads every service with its settings', () => {
    expect(
      table.map((s) => [s.ref, s.scheduler, s.persistence, s.netmask, s.pe, s.schedFlags]),
    ).toEqual([
      [{ protocol: 'tcp', address: '192.0.2.10', port: 80 }, 'wrr', null, null, null, null],
      [{ protocol: 'udp', address: '192.0.2.10', port: 53 }, 'rr', 300, null, null, null],
      [{ protocol: 'fwmark', fwmark: 42, ipv6: false }, 'wlc', null, null, null, null],
      [{ protocol: 'tcp', address: '2001:db8::10', port: 80 }, 'sh', 60, '64', 'sip', 'sh-port'],
    ])
  })

  it('reads forwarding, weight and tunnel options of every real server', () => {
    const servers = table.flatMap((s) =>
      s.servers.map((r) => [r.address, r.port, r.forwarding, r.weight, r.tunnel]),
    )
    expect(servers).toEqual([
      ['198.51.100.11', 80, 'masq', 5, null],
      ['198.51.100.12', 80, 'route', 3, null],
      ['198.51.100.13', 80, 'tunnel', 1, { type: 'ipip' }],
      ['198.51.100.11', 53, 'masq', 1, null],
      ['198.51.100.14', 0, 'route', 2, null],
      ['2001:db8::2', 80, 'tunnel', 3, { type: 'gue', port: 6080, checksum: 'csum' }],
    ])
  })

  it('refuses lines it does not know rather than guess', () => {
    expect(() => parseSave('-A -t 192.0.2.10:80 -s wrr --frobnicate\n')).toThrow(OutputError)
    expect(() => parseSave('-a -t 192.0.2.10:80 -r 198.51.100.11:80 -m -w 5\n')).toThrow(
      /before its service/,
    )
  })
})

describe('parseListing', () => {
  it('reads the thresholds listing per service and server', () => {
    const rows =
      parseListing(`Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  192.0.2.10:80 wrr
  -> 198.51.100.11:80             0          0          0          0         
  -> 198.51.100.12:80             100        10         4          7         
`)
    expect(rows.get('-t 192.0.2.10:80')?.servers.get('198.51.100.12:80')).toEqual([
      '100',
      '10',
      '4',
      '7',
    ])
  })

  it('reads the service columns of the stats listing, firewall marks included', () => {
    const rows = parseListing(`IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  192.0.2.20:8080                     6      115      105     6514  1849854
  -> 127.0.0.1:8080                      6      115      105     6514  1849854
FWM  42 IPv6                             0        0        0        0    1234K
`)
    expect(rows.get('-t 192.0.2.20:8080')?.columns).toEqual(['6', '115', '105', '6514', '1849854'])
    expect(rows.get('-f 42 -6')?.columns.map(parseCount)).toEqual([0, 0, 0, 0, 1_234_000])
  })
})

describe('parseCount', () => {
  it('expands the K/M/G/T ipvsadm prints without --exact', () => {
    expect(['12', '100000K', '250M', '3G', '1T'].map(parseCount)).toEqual([
      12, 1e8, 2.5e8, 3e9, 1e12,
    ])
    expect(() => parseCount('n/a')).toThrow(OutputError)
  })
})
