// The config editor's API over real HTTP, a real libSQL file and real files on disk: schema errors
// name the field, previews show the lab ipvsadm's reconcile commands, saves keep comments and
// never overwrite an edit made on disk meanwhile.
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, runs } from '../../core/store/index.ts'
import { call, type Harness, startHarness } from './harness.ts'

const IPVSADM = fileURLToPath(new URL('../lab/bin/ipvsadm', import.meta.url))

const MAIN = `# Site of the editor test.
version: 1
include: [services.d]

nodes:
  # The director runs ipvsadm locally (no ssh in this test).
  - { name: director, address: 127.0.0.1, roles: [director] }
  - { name: node1, address: 127.0.0.11 }
  - { name: node2, address: 127.0.0.12 }
  - { name: node3, address: 127.0.0.13 }

services:
  - name: web # the shop
    lvs: { director: director, address: 10.9.0.1, port: 80, scheduler: wlc }
    real_servers:
      - { node: node1, weight: 1 }
      - { node: node2, weight: 1 } # keep node2 light
    checks:
      - { name: http, kind: http, port: 80, path: /health }

plugins:
  lvs: { ipvsadm: ${IPVSADM} }
`
const INCLUDED = `# Mail lives in its own file.
services:
  - name: mail
    lvs: { director: director, address: 10.9.0.2, port: 25 }
    real_servers:
      - { node: node3, weight: 2 }
`

let h: Harness
let dir: string
let main: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-editor-'))
  main = join(dir, 'tandem.yaml')
  await mkdir(join(dir, 'services.d'))
  await writeFile(main, MAIN)
  await writeFile(join(dir, 'services.d', 'mail.yaml'), INCLUDED)
  // The lab ipvsadm keeps its table in this world file: empty, so reconcile adds everything.
  process.env.TANDEM_LAB_WORLD = join(dir, 'world.json')
  h = await startHarness({ configFile: main })
})
afterAll(async () => {
  await h?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const addNode3 = (weight: unknown) => ({
  op: 'add',
  at: ['services', { name: 'web' }, 'real_servers'],
  value: { node: 'node3', weight },
})
const open = async () =>
  (await (await call(h, 'GET', '/api/v1/config', { token: h.tokens.admin })).json()) as {
    version: string
    files: { path: string; text: string }[]
  }
const preview = (body: unknown, token = h.tokens.admin) =>
  call(h, 'POST', '/api/v1/config/preview', { token, body })
const save = (body: unknown, token = h.tokens.admin) =>
  call(h, 'POST', '/api/v1/config', { token, body })

interface PreviewOut {
  preview: string
  diff: string
  files: string[]
  impact: {
    reconcile: { commands: { argv: string[]; note?: string }[] }
    checks: { added: string[] }
    realServers: { added: string[] }
  }
}

describe('the config editor API', () => {
  it('refuses a bad weight with the schema message, naming the field and line', async () => {
    const { version } = await open()
    const res = await preview({ version, changes: [addNode3(-5)] })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { issues: Record<string, unknown>[] } }
    expect(body.error.issues).toHaveLength(1)
    expect(body.error.issues[0]).toMatchObject({
      field: 'services[0].real_servers[2].weight',
      message: 'must be at least 0, got number -5',
      line: 19,
    })
  })

  it('previews a raw replace of the main file by the name GET gives it (regression: refused)', async () => {
    const { version, files } = await open()
    const text = files[0]?.text.replace(
      '{ node: node2, weight: 1 }',
      '{ node: node2, weight: two }',
    )
    const res = await preview({ version, changes: [{ op: 'replace', file: 'tandem.yaml', text }] })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { issues: Record<string, unknown>[] } }
    expect(body.error.issues).toMatchObject([
      { field: 'services[0].real_servers[1].weight', line: 17, file: main },
    ])
    const fine = await preview({
      version,
      changes: [{ op: 'replace', file: 'tandem.yaml', text: `${files[0]?.text}# raw\n` }],
    })
    expect(fine.status).toBe(200)
    expect(((await fine.json()) as PreviewOut).diff).toContain('+# raw')
  })

  it('previews the fixed change: diff, the reconcile commands from the lab table, new checks', async () => {
    const { version } = await open()
    const res = await preview({ version, changes: [addNode3(3)] })
    expect(res.status).toBe(200)
    const out = (await res.json()) as PreviewOut
    expect(out.files).toEqual(['tandem.yaml'])
    expect(out.diff).toContain('+      - node: node3\n+        weight: 3\n')
    expect(out.impact.reconcile).not.toHaveProperty('error')
    const argvs = out.impact.reconcile.commands.map((c) => c.argv.slice(1).join(' '))
    expect(argvs).toContain('-a -t 10.9.0.1:80 -r 127.0.0.13:80 -g -w 3')
    expect(out.impact.checks.added).toEqual(['web/node3/http'])
    expect(out.impact.realServers.added).toEqual(['web/node3'])
    // Nothing written by a preview.
    expect(await readFile(main, 'utf8')).toBe(MAIN)
  })

  it('saves the previewed change keeping every comment, audited with the token and the diff', async () => {
    const { version } = await open()
    const changes = [addNode3(3)]
    const { preview: id } = (await (await preview({ version, changes })).json()) as PreviewOut
    const res = await save({ version, changes, preview: id, message: 'node3 joins web' })
    expect(res.status).toBe(200)
    const text = await readFile(main, 'utf8')
    for (const comment of ['# Site of the editor test.', '# the shop', '# keep node2 light'])
      expect(text).toContain(comment)
    expect(text).toContain('- { node: node1, weight: 1 }')
    expect(await readFile(`${main}.prev`, 'utf8')).toBe(MAIN)
    const [entry] = await h.store.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'config.save'))
    expect(entry).toMatchObject({ actor: 'api:admin-user', decision: 'executed' })
    expect(entry?.reason).toContain('node3 joins web\n--- a/tandem.yaml')
    // The same save again is stale: it cannot double-apply.
    const again = await save({ version, changes, preview: id, message: 'node3 joins web' })
    expect(again.status).toBe(409)
  })

  it('edits an entry in the included file that defines it, leaving the main file alone', async () => {
    const before = await open()
    const changes = [
      {
        op: 'set',
        at: ['services', { name: 'mail' }, 'real_servers', { node: 'node3' }, 'weight'],
        value: 7,
      },
    ]
    const out = (await (await preview({ version: before.version, changes })).json()) as PreviewOut
    expect(out.files).toEqual(['services.d/mail.yaml'])
    const res = await save({
      version: before.version,
      changes,
      preview: out.preview,
      message: 'm',
      apply: true,
    })
    expect(res.status).toBe(200)
    // This server cannot hot-reload: it says so, and applies nothing against its old inventory.
    expect(await res.json()).toMatchObject({
      reload: { status: 'restart' },
      apply: { error: 'not applied: the running daemon did not take the saved config over' },
    })
    expect(await h.store.db.select().from(runs)).toHaveLength(0)
    const included = await readFile(join(dir, 'services.d', 'mail.yaml'), 'utf8')
    expect(included).toContain('# Mail lives in its own file.')
    expect(included).toContain('weight: 7')
    expect(await readFile(main, 'utf8')).toBe(before.files[0]?.text)
  })

  it('answers 409 with both sides when the file changed on disk after the preview', async () => {
    const { version } = await open()
    const changes = [
      { op: 'set', at: ['services', { name: 'web' }, 'lvs', 'scheduler'], value: 'rr' },
    ]
    const { preview: id } = (await (await preview({ version, changes })).json()) as PreviewOut
    const onDisk = `${await readFile(main, 'utf8')}# edited by hand meanwhile\n`
    await writeFile(main, onDisk)
    const res = await save({ version, changes, preview: id, message: 'rr' })
    expect(res.status).toBe(409)
    const body = (await res.json()) as {
      current: { files: { text: string }[] }
      mine: { diff: string }
    }
    expect(body.current.files[0]?.text).toBe(onDisk)
    expect(body.mine.diff).toContain(
      '+    lvs: { director: director, address: 10.9.0.1, port: 80, scheduler: rr }',
    )
    expect(await readFile(main, 'utf8')).toBe(onDisk)
  })

  it('refuses a literal fence password and a save without its preview', async () => {
    const { version } = await open()
    const device = {
      op: 'add',
      at: ['fencing', 'devices'],
      value: { name: 'ipmi1', agent: 'fence_ipmilan', options: { password: 'hunter2' } },
    }
    const res = await preview({ version, changes: [device] })
    expect(res.status).toBe(400)
    const text = await res.text()
    expect(text).toContain('fencing.devices[0].options.password')
    expect(text).not.toContain('hunter2')
    const unpreviewed = await save({
      version,
      changes: [addNode3(1)],
      preview: '0'.repeat(64),
      message: 'x',
    })
    expect(unpreviewed.status).toBe(400)
  })

  it('commits to git when asked, with the message, only when the config is a work tree', async () => {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, ...args], {
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@t',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@t',
        },
      })
    const previewed = async (changes: unknown[]) => {
      const { version } = await open()
      const { preview: id } = (await (await preview({ version, changes })).json()) as PreviewOut
      return { version, changes, preview: id }
    }
    const lighter = (weight: number) => [
      {
        op: 'set',
        at: ['services', { name: 'web' }, 'real_servers', { node: 'node1' }, 'weight'],
        value: weight,
      },
    ]
    // Not a work tree yet: asking to commit is a 400, and nothing is written.
    const before = await readFile(main, 'utf8')
    const outside = await save({ ...(await previewed(lighter(2))), message: 'x', commit: true })
    expect(outside.status).toBe(400)
    expect(await readFile(main, 'utf8')).toBe(before)

    git('init', '--quiet')
    git('add', 'tandem.yaml', 'services.d')
    git('commit', '--quiet', '-m', 'initial')
    const remove = [
      { op: 'remove', at: ['services', { name: 'web' }, 'real_servers', { node: 'node2' }] },
    ]
    const res = await save({
      ...(await previewed(remove)),
      message: 'node2 leaves web',
      commit: true,
    })
    expect(res.status).toBe(200)
    expect(git('log', '-1', '--format=%s %an')).toBe('node2 leaves web tandem api:admin-user\n')
    expect(git('status', '--porcelain', '--', 'tandem.yaml')).toBe('')

    // Someone's uncommitted hand edit is never committed under this message, nor overwritten.
    const byHand = `${await readFile(main, 'utf8')}# tuned by hand, not committed yet\n`
    await writeFile(main, byHand)
    const dirty = await save({ ...(await previewed(lighter(3))), message: 'x', commit: true })
    expect(dirty.status).toBe(409)
    expect(await dirty.text()).toContain('uncommitted changes in tandem.yaml')
    expect(await readFile(main, 'utf8')).toBe(byHand)
    expect(git('log', '--format=%s')).toBe('node2 leaves web\ninitial\n')

    // Off by default: a save without `commit` writes the file and commits nothing.
    const plain = await save({ ...(await previewed(lighter(3))), message: 'node1 at 3' })
    expect(plain.status).toBe(200)
    expect(await readFile(main, 'utf8')).toContain('# tuned by hand, not committed yet')
    expect(git('log', '--format=%s')).toBe('node2 leaves web\ninitial\n')
  })

  it('is closed to read, operate and fence tokens', async () => {
    const { version } = await open()
    for (const token of [h.tokens.read, h.tokens.operate, h.tokens.fence]) {
      expect((await call(h, 'GET', '/api/v1/config', { token })).status).toBe(403)
      expect((await preview({ version, changes: [addNode3(1)] }, token)).status).toBe(403)
      expect((await save({ version }, token)).status).toBe(403)
    }
  })
})
