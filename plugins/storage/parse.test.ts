// Unit tests of the storage parsers, on the outputs of the kernel and the GNBD/NBD tools.
import { describe, expect, it } from 'vitest'
import {
  gfs2Sysfs,
  parseGnbdExportList,
  parseGnbdImportList,
  parseGrepFiles,
  parseMountInfo,
  parseNbdList,
  parseProcMounts,
} from './parse.ts'

describe('parseProcMounts', () => {
  it('reads fields and decodes octal escapes in mount points', () => {
    const text =
      'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n' +
      '/dev/nbd0 /srv/my\\040data gfs2 rw,noatime,localflocks 0 0\n'
    expect(parseProcMounts(text)).toEqual([
      {
        device: 'proc',
        mountpoint: '/proc',
        fstype: 'proc',
        options: ['rw', 'nosuid', 'nodev', 'noexec', 'relatime'],
      },
      {
        device: '/dev/nbd0',
        mountpoint: '/srv/my data',
        fstype: 'gfs2',
        options: ['rw', 'noatime', 'localflocks'],
      },
    ])
  })
})

describe('gfs2 sysfs through grep -rsH', () => {
  it('finds each filesystem’s device id, table, lock protocol and withdraw flag', () => {
    const files = parseGrepFiles(
      '/proc/mounts:/dev/nbd0 /srv/data gfs2 rw,relatime 0 0\n' +
        '/sys/fs/gfs2/demo:data/id:nbd0\n' +
        '/sys/fs/gfs2/demo:data/fsname:demo:data\n' +
        '/sys/fs/gfs2/demo:data/withdraw:1\n' +
        '/sys/fs/gfs2/demo:data/lock_module/proto_name:lock_dlm\n' +
        '/sys/fs/gfs2/nbd1/id:nbd1\n' +
        '/sys/fs/gfs2/nbd1/withdraw:0\n',
    )
    expect(files.get('/proc/mounts')).toEqual(['/dev/nbd0 /srv/data gfs2 rw,relatime 0 0'])
    expect(gfs2Sysfs(files)).toEqual([
      { dir: 'demo:data', id: 'nbd0', fsname: 'demo:data', withdrawn: true, proto: 'lock_dlm' },
      { dir: 'nbd1', id: 'nbd1', withdrawn: false },
    ])
  })
})

describe('GNBD tools', () => {
  it('reads gnbd_export -l', () => {
    const text =
      'Server[1] : data\n--------------------------\n      file : /dev/sdb1\n   sectors : 2096944\n' +
      '  readonly : no\n    cached : no\n   timeout : 60\n       uid : \n\n' +
      'Server[2] : logs\n--------------------------\n      file : /dev/sdc1\n   sectors : 8\n' +
      '  readonly : yes\n    cached : yes\n   timeout : 0\n       uid : \n\n'
    expect(parseGnbdExportList(text)).toEqual([
      {
        name: 'data',
        file: '/dev/sdb1',
        sectors: 2096944,
        readonly: false,
        cached: false,
        timeout: 60,
      },
      { name: 'logs', file: '/dev/sdc1', sectors: 8, readonly: true, cached: true, timeout: 0 },
    ])
    expect(parseGnbdExportList('')).toEqual([])
  })

  it('reads gnbd_import -l, with its Open/Close Connected/Disconnected Pending/Clear state', () => {
    const text =
      'Device name : data\n----------------------\n    Minor # : 0\n sysfs name : /block/gnbd0\n' +
      '     Server : storage1\n       Port : 14567\n      State : Open Connected Clear\n' +
      '   Readonly : No\n    Sectors : 2096944\n\n' +
      'Device name : logs\n----------------------\n    Minor # : 1\n sysfs name : /block/gnbd1\n' +
      '     Server : storage1\n       Port : 14567\n      State : Close Disconnected Pending\n' +
      '   Readonly : Yes\n    Sectors : 8\n\n'
    const [data, logs] = parseGnbdImportList(text)
    expect(data).toMatchObject({ name: 'data', kernelName: 'gnbd0', open: true, connected: true })
    expect(logs).toMatchObject({ connected: false, pending: true, readonly: true, minor: 1 })
  })
})

it('reads nbd-client -l (nbd 3.24): the negotiation line, then one export per line', () => {
  expect(parseNbdList('Negotiation: ..\ndata\nlogs: the log volume\n')).toEqual(['data', 'logs'])
})

// Linux 6.1 names a GFS2 in sysfs `id` by major:minor (`43:0`), not by device name: with two GFS
// mounts on a node, only mountinfo tells which sysfs directory (and withdraw flag) is whose.
it('reads /proc/self/mountinfo: mount point to major:minor, as GFS2 sysfs id has it on 6.1', () => {
  const text =
    '25 1 0:2 / / rw - rootfs rootfs rw,size=96504k\n' +
    '36 25 43:0 / /srv/data rw,noatime - gfs2 /dev/nbd0 rw,localflocks,rgrplvb\n' +
    '37 25 43:32 / /srv/my\\040logs rw - gfs2 /dev/nbd1 rw\n'
  expect(parseMountInfo(text)).toEqual(
    new Map([
      ['/', '0:2'],
      ['/srv/data', '43:0'],
      ['/srv/my logs', '43:32'],
    ]),
  )
  const sysfs = gfs2Sysfs(
    parseGrepFiles(
      '/sys/fs/gfs2/tandem:data/id:43:0\n/sys/fs/gfs2/tandem:data/withdraw:1\n' +
        '/sys/fs/gfs2/tandem:logs/id:43:32\n/sys/fs/gfs2/tandem:logs/withdraw:0\n',
    ),
  )
  expect(sysfs.find((s) => s.id === '43:0')).toMatchObject({ dir: 'tandem:data', withdrawn: true })
})
