// tandem import on real and realistic inputs: the merged inventory, the report, and refusals.
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../../test/policy/cli.ts'
import { importCommand } from '../cli/commands/import.ts'
import type { ConfigError } from '../errors.ts'
import { parseConfig } from '../inventory/index.ts'
import { importSite } from './index.ts'

const fixtures = new URL('../../test/fixtures/adopt/', import.meta.url).pathname
const siteA = (f: string) => join(fixtures, 'site-a', f)
const siteB = (f: string) => join(fixtures, 'site-b', f)

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-import-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('a keepalived director in front of an rgmanager cluster (site A)', () => {
  it('merges both worlds into one inventory and reports every place they disagree', async () => {
    const result = await importSite([siteA('keepalived.conf'), siteA('cluster.conf')], {
      hostsFile: siteA('hosts'),
      director: 'lvs1',
    })
    const config = parseConfig('tandem.yaml', result.yaml)
    expect(config.nodes.map((n) => `${n.name}=${n.address}`)).toEqual([
      'node1.example.com=10.0.0.1',
      'node2.example.com=10.0.0.2',
      'node3.example.com=10.0.0.3',
      'lvs1=10.0.0.10',
    ])
    const db = config.services.find((s) => s.name === 'db')!
    // One service from the keepalived virtual_server and the rgmanager service with its VIP.
    expect(db.lvs).toMatchObject({ address: '10.0.0.101', port: 5432, director: 'lvs1' })
    expect(db.cluster).toMatchObject({
      rgmanager: { service: 'db' },
      preferred: ['node2.example.com', 'node1.example.com'],
    })
    expect(db.storage).toEqual(['data'])
    expect(db.checks).toMatchObject([
      { kind: 'exec', command: ['/etc/init.d/postgresql', 'status'] },
    ])
    expect(config.storage).toEqual([
      expect.objectContaining({
        name: 'data',
        device: '/dev/vg_data/lv_data',
        mounted_by: ['node1.example.com', 'node2.example.com'],
      }),
    ])
    const kinds = result.findings.map((f) => f.kind).sort()
    expect(kinds).toEqual([
      'checked-twice',
      'defined-twice',
      'defined-twice',
      'gfs-unfenced',
      'lvs-outside-cluster',
      'script-duplicates-monitor',
      'weights-vs-priorities',
    ])
    const line = (kind: string) => result.findings.find((f) => f.kind === kind)!.message
    expect(line('checked-twice')).toContain('conf.d/web.conf:12')
    expect(line('checked-twice')).toContain('conf.d/web.conf:36')
    expect(line('weights-vs-priorities')).toMatch(
      /cluster\.conf:36.*weighs node1\.example\.com 1 and node2\.example\.com 3.*web\.conf:22/,
    )
    expect(line('script-duplicates-monitor')).toMatch(/db\.conf:10.*cluster\.conf:60/)
    expect(line('gfs-unfenced')).toMatch(/cluster\.conf:59 is mounted by node3\.example\.com/)
    expect(line('lvs-outside-cluster')).toMatch(
      /node3\.example\.com \(.*db\.conf:15\).*may only run/,
    )
  })

  it('never copies a password: fence passwords become env: references', async () => {
    const out = join(dir, 'tandem.yaml')
    const cli = await runCli(importCommand, [
      siteA('keepalived.conf'),
      siteA('cluster.conf'),
      '--hosts',
      siteA('hosts'),
      '--out',
      out,
    ])
    expect(cli.code).toBe(0)
    const yaml = await readFile(out, 'utf8')
    expect(`${cli.out}${cli.err}${yaml}`).not.toMatch(/ipmi-secret|apc-secret/)
    const config = parseConfig('tandem.yaml', yaml)
    expect(config.fencing.devices.map((d) => d.options.passwd)).toEqual([
      'env:TANDEM_IPMI_NODE1_PASSWD',
      'env:TANDEM_IPMI_NODE2_PASSWD',
      'env:TANDEM_APC_PASSWD',
    ])
    expect(config.fencing.nodes.find((n) => n.node === 'node2.example.com')!.levels).toEqual([
      ['ipmi-node2'],
      [{ device: 'apc', plug: '2' }],
    ])
  })

  it('says in comments where each entry came from, through includes', async () => {
    const { yaml } = await importSite([siteA('keepalived.conf'), siteA('cluster.conf')], {
      hostsFile: siteA('hosts'),
    })
    expect(yaml).toContain(
      `# from ${siteA('conf.d/web.conf')}:2, ${siteA('cluster.conf')}:53\n  - name: web`,
    )
    expect(yaml).toContain(
      `# from ${siteA('conf.d/db.conf')}:15\n      - { node: node3.example.com, weight: 1 }`,
    )
  })
})

describe('two LVS tools defining the same virtual service', () => {
  it('reports the real server checked twice, with both files, and keeps the first definition', async () => {
    const ld = join(dir, 'ldirectord.cf')
    await writeFile(
      ld,
      'virtual=10.0.0.100:80\n\treal=10.0.0.1:80 gate 5\n\tservice=http\n\tchecktype=negotiate\n\trequest="index.html"\n\treceive="OK"\n',
    )
    const result = await importSite([siteA('keepalived.conf'), ld], { hostsFile: siteA('hosts') })
    const twice = result.findings.filter((f) => f.kind === 'checked-twice')
    expect(twice.map((f) => f.message)).toContainEqual(
      `real server 10.0.0.1:80 is checked HTTP_GET /health at ${siteA('conf.d/web.conf')}:12 and checktype=negotiate service=http /index.html at ${ld}:4`,
    )
    expect(result.findings.find((f) => f.kind === 'defined-twice')!.sites).toEqual([
      { file: siteA('conf.d/web.conf'), line: 2 },
      { file: ld, line: 1 },
    ])
    const web = parseConfig('t.yaml', result.yaml).services.find((s) => s.lvs?.port === 80)!
    expect(web.checks).toMatchObject([{ kind: 'http', path: '/health' }])
    expect(web.real_servers.find((r) => r.node === 'node1.example.com')!.weight).toBe(1)
  })
})

describe('an ldirectord director in front of a Pacemaker cluster (site B)', () => {
  it('joins the ldirectord virtual with the CIB group that holds its VIP', async () => {
    const result = await importSite([siteB('ldirectord.cf'), siteB('cib.xml')], {
      hostsFile: siteB('hosts'),
    })
    const config = parseConfig('tandem.yaml', result.yaml)
    expect(config.cluster).toEqual({ name: 'siteb', manager: 'pacemaker' })
    const web = config.services.find((s) => s.name === 'web')!
    expect(web.cluster).toMatchObject({
      pacemaker: { resource: 'web' },
      preferred: ['alpha', 'beta'],
    })
    expect(web.checks).toMatchObject([
      { kind: 'http', path: '/server-status', expect: { body_contains: 'Apache Server Status' } },
    ])
    expect(config.storage).toMatchObject([
      { name: 'shared-fs', mounted_by: ['alpha', 'beta', 'gamma'] },
    ])
    expect(config.vms).toMatchObject([{ name: 'vm-guest2', host: 'gamma', toolstack: 'virsh' }])
    expect(result.findings.map((f) => f.kind).sort()).toEqual([
      'defined-twice',
      'lvs-outside-cluster',
      'weights-vs-priorities',
    ])
    expect(result.yaml).not.toContain('s3cret')
  })
})

describe('published sample configurations', () => {
  it('imports every Debian keepalived sample and the ldirectord example into a valid inventory', async () => {
    const files = (await readdir(join(fixtures, 'debian'))).sort()
    expect(files.length).toBe(11)
    for (const file of files) {
      const { yaml } = await importSite([join(fixtures, 'debian', file)])
      expect(() => parseConfig(file, yaml), file).not.toThrow()
    }
  })

  it("maps Piranha's send/expect to an http check, and says what it could not map", async () => {
    const result = await importSite([join(fixtures, 'piranha', 'lvs.cf')])
    const config = parseConfig('tandem.yaml', result.yaml)
    expect(config.services.map((s) => s.name)).toEqual(['http', 'ftp'])
    expect(config.services[0]!.checks).toMatchObject([
      { kind: 'http', path: '/index.html', timeout: 6000 },
    ])
    expect(config.nodes.find((n) => n.name === 'director')!.address).toBe('192.168.26.9')
    expect(result.notes.filter((n) => n.level === 'skipped').map((n) => n.at.line)).toEqual([43])
  })
})

describe('bad input: a clear file:line error, and nothing written', () => {
  const bad = (f: string) => join(fixtures, 'bad', f)
  it.each([
    [
      'truncated-keepalived.conf',
      7,
      '"TCP_CHECK" block is never closed: the file ends first (truncated?)',
    ],
    [
      'unknown-keyword-keepalived.conf',
      5,
      'unknown keyword "lb_algoo" in virtual_server; did you mean "lb_algo"?',
    ],
    ['unknown-directive-ldirectord.cf', 6, 'unknown directive "check_typo"'],
    ['truncated-cluster.conf', 29, '<fencedevices> is never closed'],
    ['entity-bomb-cluster.conf', 3, 'XML entity declarations are refused'],
    ['duplicate-ids-cib.xml', 34, 'duplicate id "fence-alpha-pw" (first at line 23)'],
  ])('%s', async (file, line, message) => {
    const out = join(dir, 'tandem.yaml')
    const { code, err } = await runCli(importCommand, [bad(file), '--out', out]).catch((e) => ({
      code: -1,
      err: (e as ConfigError).message,
    }))
    expect(code).toBe(-1)
    expect(err).toContain(`${bad(file)}:${line}:1: ${message}`)
    await expect(access(out)).rejects.toThrow(/ENOENT/)
  })

  it('refuses a 10 MB file before reading it', async () => {
    const big = join(dir, 'keepalived.conf')
    await writeFile(big, `! padding\n${'#'.repeat(10_000_000)}\n`)
    await expect(importSite([big])).rejects.toThrow(
      `${big}:1:1: file is larger than 8 MB (10000011 bytes); refusing to read it`,
    )
  })
})

describe('tandem import on the command line', () => {
  it('--strict exits 1 and writes nothing when something could not be imported', async () => {
    const out = join(dir, 'tandem.yaml')
    const strict = await runCli(importCommand, [
      siteA('keepalived.conf'),
      '--hosts',
      siteA('hosts'),
      '--out',
      out,
      '--strict',
    ])
    expect(strict.code).toBe(1)
    expect(strict.out).toContain(
      `${siteA('keepalived.conf')}:12: vrrp_instance VI_WEB: VRRP stays with keepalived`,
    )
    await expect(access(out)).rejects.toThrow(/ENOENT/)
    const plain = await runCli(importCommand, [
      siteA('keepalived.conf'),
      '--hosts',
      siteA('hosts'),
      '--out',
      out,
    ])
    expect(plain.code).toBe(0)
    expect(parseConfig(out, await readFile(out, 'utf8')).services).toHaveLength(2)
  })

  it('does not replace an existing file without --force', async () => {
    const out = join(dir, 'tandem.yaml')
    await writeFile(out, 'version: 1\n')
    await expect(runCli(importCommand, [siteA('keepalived.conf'), '--out', out])).rejects.toThrow(
      'exists; pass --force',
    )
    expect(await readFile(out, 'utf8')).toBe('version: 1\n')
  })
})
