// The demo's admin token: one per demo data directory, kept in a 0600 file and reused across starts.
import { readFile, writeFile } from 'node:fs/promises'
import { authenticate, createApiToken, revokeTokenFamily } from '../api/index.ts'
import type { Store } from '../store/index.ts'

/** The token's name in `tandem token list`. */
export const DEMO_TOKEN_NAME = 'demo'

/**
 * The demo's admin token: the one in `file` while the store still knows it (unrevoked, admin);
 * otherwise a new one, written to `file`, after revoking every earlier demo token (the single
 * `demo` one, and the `demo-<time>` ones older versions minted on each start).
 *
 * @example
 * const token = await demoToken(store, 'data/demo-token')
 */
export async function demoToken(store: Store, file: string): Promise<string> {
  const kept = (await readFile(file, 'utf8').catch(() => '')).trim()
  if (kept) {
    const caller = await authenticate(store, `Bearer ${kept}`)
    if (caller?.name === DEMO_TOKEN_NAME && caller.scopes.includes('admin')) return kept
  }
  await revokeTokenFamily(store, DEMO_TOKEN_NAME)
  const { token } = await createApiToken(store, { name: DEMO_TOKEN_NAME, scopes: ['admin'] })
  await writeFile(file, `${token}\n`, { mode: 0o600 })
  return token
}
