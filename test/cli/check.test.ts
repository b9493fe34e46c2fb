// `tandem check` end to end: the demo passes; every broken config names its exact file:line:col and field.
import { execFile } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { main } from '../../core/cli/index.ts'

const run = promisify(execFile)
const corpus = new URL('../fixtures/broken-configs/', import.meta.url).pathname

async function check(...args: string[]) {
  let out = ''
  let err = ''
  const code = await main(['check', ...args], { out: (t) => (out += t), err: (t) => (err += t) })
  return { code, out, err }
}

describe('tandem check', () => {
  it('accepts the demo inventory', async () => {
    const result = await check('--config', 'tandem.yaml')
    expect(result.code).toBe(0)
    expect(result.out).toMatch(
      /^tandem\.yaml: ok \(5 nodes, 2 services, 2 vms, 2 volumes, 4 fence devices\)/,
    )
  })

  it('has a corpus of at least 25 broken configs', async () => {
    const files = (await readdir(corpus)).filter((f) => f.endsWith('.yaml'))
    expect(files.length).toBeGreaterThanOrEqual(25)
  })

  for (const name of readdirSync(corpus).filter((f) => f.endsWith('.yaml'))) {
    it(`rejects ${name} at the exact place`, async () => {
      const file = join(corpus, name)
      const header = (await readFile(file, 'utf8')).split('\n')[0] ?? ''
      const match = /^# expect: (\d+):(\d+) (\S+) :: (.+)$/.exec(header)
      expect(match, `${name} needs an "# expect: line:col field :: message" header`).not.toBeNull()
      const [, line, col, field, message] = match!
      const result = await check('--config', file, '--json')
      expect(result.code).toBe(1)
      const first = JSON.parse(result.out).issues[0]
      expect(first).toEqual({
        file,
        line: Number(line),
        col: Number(col),
        field: field === '-' ? '' : field,
        message,
      })
    })
  }

  it('prints file:line:col: field: message for people, never a stack trace', async () => {
    const file = join(corpus, 'real-server-unknown-node.yaml')
    const result = await check('--config', file)
    expect(result.code).toBe(1)
    expect(result.err).toContain(
      `${file}:13:17: services[0].real_servers[1].node: no node named "node9"; did you mean "node1"?`,
    )
    expect(result.err).not.toMatch(/\n\s+at /)
  })

  it('refuses a file larger than 1 MB before parsing it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-check-'))
    const file = join(dir, 'huge.yaml')
    await writeFile(file, `# ${'x'.repeat(1024 * 1024)}\nversion: 1\n`)
    const result = await check('--config', file)
    expect(result.code).toBe(1)
    expect(result.err).toContain(`${file}:1:1: file is larger than 1 MB`)
  })

  it('says which file cannot be read', async () => {
    const result = await check('--config', '/nonexistent/tandem.yaml')
    expect(result.code).toBe(1)
    expect(result.err).toContain('/nonexistent/tandem.yaml:1:1: cannot read: ENOENT')
  })

  it('exits 0 and 1 as a real process, like keepalived -t', async () => {
    const ok = await run('node', ['bin/tandem.js', 'check'])
    expect(ok.stdout).toContain('tandem.yaml: ok')
    const bad = await run('node', [
      'bin/tandem.js',
      'check',
      '--config',
      join(corpus, 'inline-secret.yaml'),
    ]).catch((e: { code: number; stderr: string }) => e)
    expect(bad).toMatchObject({ code: 1 })
    expect((bad as { stderr: string }).stderr).toContain('never inline')
  })
})
