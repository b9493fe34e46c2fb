// A config split across files: thousands of real servers load, and every error names its own file.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConfigError } from '../errors.ts'
import { loadConfig, parseConfig } from './index.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-split-'))
  await mkdir(join(dir, 'conf.d'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const main = (extra = '') =>
  `version: 1\ninclude: [conf.d/]\nnodes:\n  - { name: lvs1, address: 10.9.0.1, roles: [director] }\n${extra}`

async function failure(file: string): Promise<ConfigError> {
  try {
    await loadConfig(file)
  } catch (error) {
    return error as ConfigError
  }
  throw new Error('expected the config to be refused')
}

describe('include: a config split across files', () => {
  it('loads 2,000 real servers from 21 files in the order the directory sorts them', async () => {
    const nodes = Array.from(
      { length: 1000 },
      (_, i) => `  - { name: rs${i}, address: 10.1.${i >> 8}.${i & 255}, roles: [] }`,
    )
    await writeFile(join(dir, 'conf.d', '00-nodes.yaml'), `nodes:\n${nodes.join('\n')}\n`)
    for (let f = 0; f < 20; f++) {
      const services = Array.from({ length: 10 }, (_, s) => {
        const n = f * 10 + s
        const servers = Array.from(
          { length: 10 },
          (_, r) => `      - { node: rs${(n * 10 + r) % 1000}, port: ${8000 + r} }`,
        )
        return `  - name: svc${n}\n    lvs: { director: lvs1, address: 192.0.2.${n % 250}, port: ${1000 + n} }\n    real_servers:\n${servers.join('\n')}`
      })
      await writeFile(
        join(dir, 'conf.d', `${String(f + 1).padStart(2, '0')}-services.yaml`),
        `services:\n${services.join('\n')}\n`,
      )
    }
    await writeFile(join(dir, 'tandem.yaml'), main())
    const config = await loadConfig(join(dir, 'tandem.yaml'))
    expect(config.nodes).toHaveLength(1001)
    expect(config.services).toHaveLength(200)
    expect(config.services.reduce((n, s) => n + s.real_servers.length, 0)).toBe(2000)
    expect(config.services[199]!.name).toBe('svc199')
  })

  it('names the included file, its line and its own index for a schema error there', async () => {
    await writeFile(
      join(dir, 'conf.d', 'a.yaml'),
      'services:\n  - name: one\n    checks: [{ name: t, kind: tcp }]\n',
    )
    await writeFile(
      join(dir, 'conf.d', 'b.yaml'),
      'nodes:\n  - { name: n1, address: 10.0.0.1 }\nservices:\n  - name: two\n    lvs: { director: lvs1, address: 192.0.2.1, port: 99999 }\n    real_servers: [{ node: n1 }]\n',
    )
    await writeFile(join(dir, 'tandem.yaml'), main('services:\n  - name: zero\n'))
    const error = await failure(join(dir, 'tandem.yaml'))
    expect(error.message).toBe(
      `${join(dir, 'conf.d', 'b.yaml')}:5:54: services[0].lvs.port: must be at most 65535, got number 99999`,
    )
  })

  it('names the included file for a broken reference there', async () => {
    await writeFile(
      join(dir, 'conf.d', 'web.yaml'),
      'services:\n  - name: web\n    lvs: { director: lvs1, address: 192.0.2.1, port: 80 }\n    real_servers:\n      - { node: lvs1 }\n      - { node: nosuch }\n',
    )
    await writeFile(join(dir, 'tandem.yaml'), main())
    const error = await failure(join(dir, 'tandem.yaml'))
    expect(error.message).toBe(
      `${join(dir, 'conf.d', 'web.yaml')}:6:17: services[0].real_servers[1].node: no node named "nosuch"`,
    )
  })

  it('keeps one home for settings: an included file may not hold daemon: or include:', async () => {
    await writeFile(
      join(dir, 'conf.d', 'x.yaml'),
      'nodes: []\ndaemon: { listen: 0.0.0.0:80 }\ninclude: [../other]\n',
    )
    await writeFile(join(dir, 'tandem.yaml'), main())
    const error = await failure(join(dir, 'tandem.yaml'))
    expect(error.issues.map((i) => `${i.line} ${i.field}`)).toEqual(['2 daemon', '3 include'])
    expect(error.issues[0]!.file).toBe(join(dir, 'conf.d', 'x.yaml'))
  })

  it('caps and bomb-proofs every included file on its own', async () => {
    await writeFile(join(dir, 'conf.d', 'big.yaml'), `# ${'x'.repeat(1024 * 1024)}\nnodes: []\n`)
    await writeFile(
      join(dir, 'conf.d', 'bomb.yaml'),
      `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nnodes: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
    )
    await writeFile(join(dir, 'tandem.yaml'), main())
    const big = await failure(join(dir, 'tandem.yaml'))
    expect(big.message).toContain(
      `${join(dir, 'conf.d', 'big.yaml')}:1:1: file is larger than 1 MB`,
    )
    await rm(join(dir, 'conf.d', 'big.yaml'))
    const bomb = await failure(join(dir, 'tandem.yaml'))
    expect(bomb.message).toContain(`${join(dir, 'conf.d', 'bomb.yaml')}:1:1: refused:`)
  })

  it('says a missing include and refuses include: in text without a file', async () => {
    await writeFile(join(dir, 'tandem.yaml'), 'include: [nosuch.yaml]\n')
    const error = await failure(join(dir, 'tandem.yaml'))
    expect(error.message).toBe(
      `${join(dir, 'tandem.yaml')}:1:11: include[0]: no such file or directory: ${join(dir, 'nosuch.yaml')}`,
    )
    expect(() => parseConfig('t.yaml', 'include: [a.yaml]\n')).toThrow(
      't.yaml:1:1: include: include: is read only when the config is loaded from its file',
    )
  })
})
