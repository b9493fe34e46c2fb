// `tandem token`: the token is printed once, only its hash is stored, and it opens the API with its scopes.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate } from '../../api/index.ts'
import { apiTokens, openStore } from '../../store/index.ts'
import { main } from '../index.ts'

let dir: string
let url: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-token-'))
  url = `file:${join(dir, 'tandem.db')}`
})
afterAll(async () => rm(dir, { recursive: true, force: true }))

async function run(...argv: string[]) {
  let out = ''
  let err = ''
  const code = await main(argv, {
    out: (t) => {
      out += t
    },
    err: (t) => {
      err += t
    },
  })
  return { code, out, err }
}

describe('tandem token', () => {
  it('creates a token, prints it once, stores only its hash; list and revoke work', async () => {
    const created = await run(
      'token',
      'create',
      '--name',
      'alertmanager',
      '--scope',
      'ingest',
      '--store',
      url,
    )
    expect(created.code).toBe(0)
    const token = created.out.split('\n')[0] ?? ''
    expect(token).toMatch(/^tdm_[A-Za-z0-9_-]{43}$/)
    const store = await openStore(url)
    try {
      const [row] = await store.db.select().from(apiTokens)
      expect(row?.hash).toMatch(/^[0-9a-f]{64}$/)
      expect(JSON.stringify(row)).not.toContain(token.slice(4))
      expect(await authenticate(store, `Bearer ${token}`)).toMatchObject({
        name: 'alertmanager',
        scopes: ['ingest'],
      })
      const listed = await run('token', 'list', '--store', url)
      expect(listed.out).toContain('alertmanager')
      expect(listed.out).not.toContain(token)
      expect((await run('token', 'revoke', 'alertmanager', '--store', url)).code).toBe(0)
      expect(await authenticate(store, `Bearer ${token}`)).toBeUndefined()
      expect((await run('token', 'list', '--store', url)).out).toContain('REVOKED')
    } finally {
      store.close()
    }
  })

  it('refuses unknown scopes and a missing name', async () => {
    const bad = await run('token', 'create', '--name', 'x', '--scope', 'read,root', '--store', url)
    expect(bad.code).toBe(1)
    expect(bad.err).toContain('unknown scope root')
    expect((await run('token', 'create', '--scope', 'read', '--store', url)).code).toBe(2)
    expect((await run('token', 'rotate', '--store', url)).code).toBe(2)
  })
})
