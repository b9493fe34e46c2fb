// tandem export checked by the real tools: keepalived -t and ldirectord's own parser accept every
// exported config, and a keepalived round trip (import → check → export → import) changes nothing.
import { execFile } from 'node:child_process'
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportKeepalived, exportLdirectord, importSite } from '../../core/adopt/index.ts'
import { createCheckCommand } from '../../core/cli/commands/check.ts'
import { importCommand } from '../../core/cli/commands/import.ts'
import { type Config, parseConfig } from '../../core/inventory/index.ts'
import { runCli } from '../policy/cli.ts'

const run = promisify(execFile)
const fixtures = new URL('../fixtures/adopt/', import.meta.url).pathname
const KEEPALIVED = '/usr/sbin/keepalived'
const LDIRECTORD = '/usr/sbin/ldirectord'
const present = async (bin: string) =>
  access(bin).then(
    () => true,
    () => false,
  )
const haveKeepalived = await present(KEEPALIVED)
const haveLdirectord = await present(LDIRECTORD)
// In CI the tools are installed (.ci/run): there a missing binary is a failure, not a skip.
if (process.env.CI && !(haveKeepalived && haveLdirectord))
  throw new Error('CI is set but keepalived or ldirectord is not installed')

/** Every inventory the exporters must render: both sites and every Debian sample. */
async function inventories(): Promise<[string, Config][]> {
  const out: [string, Config][] = []
  const a = join(fixtures, 'site-a')
  const b = join(fixtures, 'site-b')
  const sites: [string, string[], string][] = [
    ['site-a', [join(a, 'keepalived.conf'), join(a, 'cluster.conf')], join(a, 'hosts')],
    ['site-b', [join(b, 'ldirectord.cf'), join(b, 'cib.xml')], join(b, 'hosts')],
    ['piranha', [join(fixtures, 'piranha', 'lvs.cf')], join(a, 'hosts')],
  ]
  for (const f of (await readdir(join(fixtures, 'debian'))).sort())
    sites.push([f, [join(fixtures, 'debian', f)], join(a, 'hosts')])
  for (const [name, files, hosts] of sites)
    out.push([name, parseConfig(name, (await importSite(files, { hostsFile: hosts })).yaml)])
  return out
}

/**
 * keepalived -t on an exported file the way a site uses it: included from the keepalived.conf
 * that keeps VRRP, whose global_defs enable script security (keepalived refuses MISC_CHECK
 * scripts without it, exit 6).
 */
async function keepalivedTest(exported: string) {
  const main = `${exported}.main`
  await writeFile(
    main,
    `global_defs {\n  script_user root\n  enable_script_security\n}\ninclude ${exported}\n`,
  )
  return run(KEEPALIVED, ['-t', '-f', main]).catch((e) => e)
}

let dir: string
let all: [string, Config][]
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-export-'))
  all = await inventories()
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe.skipIf(!haveKeepalived)(
  'keepalived -t accepts what tandem export keepalived writes',
  () => {
    it('for both sites, the Piranha import and every Debian sample', async () => {
      expect(all.length).toBe(14)
      for (const [name, config] of all) {
        const file = join(dir, `${name}.keepalived.conf`)
        await writeFile(file, exportKeepalived(config, name).text)
        // -t: check the configuration and exit (rc 0 valid, non-zero with the reason on stderr).
        const result = await keepalivedTest(file)
        expect(result.code ?? 0, `${name}: ${result.stderr}`).toBe(0)
      }
    })

    it('round trip: import → tandem check → export → keepalived -t → import gives the same inventory', async () => {
      const site = join(fixtures, 'site-a')
      const first = join(dir, 'first.yaml')
      const args = ['--hosts', join(site, 'hosts'), '--director', 'lvs1', '--force']
      expect(
        (await runCli(importCommand, [join(site, 'keepalived.conf'), '--out', first, ...args]))
          .code,
      ).toBe(0)
      const policies = join(dir, 'no-policies')
      await mkdir(policies, { recursive: true })
      const check = await runCli(createCheckCommand(), ['--config', first, '--policies', policies])
      expect(check.out).toContain(`${first}: ok (4 nodes, 2 services`)
      const before = parseConfig(first, await readFile(first, 'utf8'))
      const exported = join(dir, 'exported.conf')
      await writeFile(exported, exportKeepalived(before, first).text)
      expect((await keepalivedTest(exported)).code ?? 0).toBe(0)
      const second = join(dir, 'second.yaml')
      expect(
        (await runCli(importCommand, [`keepalived:${exported}`, '--out', second, ...args])).code,
      ).toBe(0)
      const after = parseConfig(second, await readFile(second, 'utf8'))
      expect(after.nodes).toEqual(before.nodes)
      expect(after.services).toEqual(before.services)
    })

    it('keepalived -t itself fails on a broken file, so the checks above can fail', async () => {
      const file = join(dir, 'broken.conf')
      await writeFile(file, 'virtual_server 10.0.0.1 80 {\n  lb_algoo rr\n}\n')
      const result = await run(KEEPALIVED, ['-t', '-f', file]).catch((e) => e)
      expect(result.code).not.toBe(0)
      expect(result.stderr).toContain("Unknown keyword 'lb_algoo'")
    })
  },
)

describe.skipIf(!haveLdirectord)(
  "ldirectord's own parser accepts what tandem export ldirectord writes",
  () => {
    // `ldirectord FILE status` reads the whole file (read_config) before it looks for a
    // running daemon: exit 3 is "parsed, not running", exit 2 a configuration error.
    // PERLIO set: ldirectord would otherwise re-exec itself once just to set it (twice the time).
    const parse = (file: string) =>
      run(LDIRECTORD, [file, 'status'], { env: { ...process.env, PERLIO: 'perlio' } }).catch(
        (e) => e,
      )

    it('for both sites, the Piranha import and every Debian sample', async () => {
      expect(all.length).toBe(14)
      const results = await Promise.all(
        all.map(async ([name, config]) => {
          const file = join(dir, `${name}.ldirectord.cf`)
          await writeFile(file, exportLdirectord(config, name).text)
          return { name, result: await parse(file) }
        }),
      )
      for (const { name, result } of results)
        expect(result.code, `${name}: ${result.stderr}`).toBe(3)
    })

    it('and the parser refuses a broken file (exit 2), so the check above can fail', async () => {
      const file = join(dir, 'broken.cf')
      await writeFile(file, 'virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tbogus=1\n')
      const result = await parse(file)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('Unknown command')
    })

    it('an ldirectord round trip keeps the services', async () => {
      const [, siteB] = all.find(([n]) => n === 'site-b')!
      const file = join(dir, 'site-b.again.cf')
      await writeFile(file, exportLdirectord(siteB, 'site-b').text)
      const again = parseConfig(
        'again',
        (await importSite([`ldirectord:${file}`], { hostsFile: join(fixtures, 'site-b', 'hosts') }))
          .yaml,
      )
      const lvsOnly = (c: Config) =>
        c.services.map((s) => ({ lvs: s.lvs, real_servers: s.real_servers, checks: s.checks }))
      expect(lvsOnly(again)).toEqual(lvsOnly(siteB))
    })
  },
)
