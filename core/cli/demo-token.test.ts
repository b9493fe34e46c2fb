// The demo token is one per data directory: reused across starts, earlier ones revoked, listed as "demo".
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { authenticate, createApiToken, revokeApiToken } from '../api/index.ts'
import { apiTokens, openStore, type Store } from '../store/index.ts'
import { demoToken } from './demo-token.ts'

let dir: string
let store: Store
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-demo-token-'))
  store = await openStore(`file:${join(dir, 'demo.db')}`)
})
afterEach(async () => {
  store.close()
  await rm(dir, { recursive: true, force: true })
})

const active = async () =>
  (await store.db.select().from(apiTokens)).filter((t) => t.revokedAt === null)

it('reuses one admin token across starts and revokes the ones older demos minted', async () => {
  const old = await createApiToken(store, { name: 'demo-1765000000000', scopes: ['admin'] })
  const file = join(dir, 'demo-token')
  const first = await demoToken(store, file)
  const second = await demoToken(store, file)
  expect(second).toBe(first)
  expect((await active()).map((t) => t.name)).toEqual(['demo'])
  expect(await authenticate(store, `Bearer ${old.token}`)).toBeUndefined()
  expect((await authenticate(store, `Bearer ${first}`))?.scopes).toEqual(['admin'])
  expect((await stat(file)).mode & 0o777).toBe(0o600)
})

it('mints a new one when the kept token was revoked or the file was tampered with', async () => {
  const file = join(dir, 'demo-token')
  const first = await demoToken(store, file)
  await revokeApiToken(store, 'demo')
  const second = await demoToken(store, file)
  expect(second).not.toBe(first)
  // A token of another name in the file is not taken for the demo's.
  const other = await createApiToken(store, { name: 'alice', scopes: ['admin'] })
  await writeFile(file, other.token)
  const third = await demoToken(store, file)
  expect(third).not.toBe(other.token)
  expect((await active()).map((t) => t.name).sort()).toEqual(['alice', 'demo'])
})
