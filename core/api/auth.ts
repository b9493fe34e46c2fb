// API tokens: created once, stored as a sha256 hash, checked per request against the route's scope.
import { createHash, randomBytes } from 'node:crypto'
import { and, eq, isNull, like, or } from 'drizzle-orm'
import { TandemError } from '../errors.ts'
import { CALLER_SCOPES, type CallerScope, holdsScope } from '../plugin-host/index.ts'
import { apiTokens, type Store } from '../store/index.ts'

/** What a token may do: `read` sees; `operate` acts; `fence` also fences and migrates; `ingest` posts alerts. */
export const SCOPES = CALLER_SCOPES
export type Scope = CallerScope

/** Who is calling, once the bearer token is known. */
export interface Caller {
  tokenId: string
  name: string
  scopes: readonly Scope[]
}

const TOKEN_PREFIX = 'tdm_'
const LAST_USED_EVERY_MS = 60_000

/**
 * True when a caller holding `held` may use a route that needs `needed` (the plugin API's
 * ladder: read < operate < fence < admin; `ingest` stands aside).
 *
 * @example
 * allows(['operate'], 'read') // true
 * allows(['operate'], 'fence') // false
 */
export function allows(held: readonly Scope[], needed: Scope): boolean {
  return holdsScope(held, needed)
}

/** Parses `read,operate` into scopes, refusing unknown names. */
export function parseScopes(text: string): Scope[] {
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s))
  if (scopes.length === 0 || unknown.length > 0)
    throw new TandemError(
      'BAD_REQUEST',
      `[token] unknown scope ${unknown.join(', ') || '(none)'}; choose from ${SCOPES.join(', ')}`,
    )
  return [...new Set(scopes)] as Scope[]
}

/** sha256 of the token; the only form the store keeps. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * Creates a token (256 random bits) and stores its hash. The plain token is returned once
 * and never again: lose it, create another.
 *
 * @example
 * const { token } = await createApiToken(store, { name: 'alertmanager', scopes: ['ingest'] })
 */
export async function createApiToken(
  store: Store,
  input: { name: string; scopes: readonly Scope[]; now?: number },
): Promise<{ id: string; token: string }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  const id = randomBytes(6).toString('hex')
  await store.db.insert(apiTokens).values({
    id,
    name: input.name,
    hash: hashToken(token),
    scopes: [...input.scopes],
    createdAt: input.now ?? Date.now(),
  })
  return { id, token }
}

/** Revokes a token by id or name; returns how many were revoked. */
export async function revokeApiToken(store: Store, idOrName: string): Promise<number> {
  const now = Date.now()
  const byId = await store.db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.id, idOrName), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id })
  if (byId.length > 0) return byId.length
  const byName = await store.db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.name, idOrName), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id })
  return byName.length
}

/**
 * Revokes every live token named `name` or `name-<anything>` (the demo's one token, and the
 * `demo-<time>` ones older versions minted on each start); returns how many were revoked.
 */
export async function revokeTokenFamily(store: Store, name: string): Promise<number> {
  const revoked = await store.db
    .update(apiTokens)
    .set({ revokedAt: Date.now() })
    .where(
      and(
        isNull(apiTokens.revokedAt),
        or(eq(apiTokens.name, name), like(apiTokens.name, `${name}-%`)),
      ),
    )
    .returning({ id: apiTokens.id })
  return revoked.length
}

/**
 * The caller behind an `Authorization: Bearer` header, or undefined. Only the header counts:
 * no cookies, no query strings (they end up in logs), no X-Forwarded-* of any kind.
 */
export async function authenticate(
  store: Store,
  authorization: string | undefined,
  now: number = Date.now(),
): Promise<Caller | undefined> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  if (!match?.[1]?.startsWith(TOKEN_PREFIX)) return undefined
  const row = await lookupOf(store)(hashToken(match[1]))
  if (!row || row.revoked) return undefined
  if (!row.touched && (row.lastUsedAt === null || now - row.lastUsedAt > LAST_USED_EVERY_MS)) {
    row.touched = true // requests sharing this lookup touch the row once
    // Best effort and rare: a read-only store must still serve reads.
    store.db
      .update(apiTokens)
      .set({ lastUsedAt: now })
      .where(eq(apiTokens.id, row.id))
      .catch(() => {})
  }
  return {
    tokenId: row.id,
    name: row.name,
    scopes: row.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
  }
}

interface TokenRow {
  id: string
  name: string
  scopes: string[]
  lastUsedAt: number | null
  revoked: boolean
  touched?: boolean
}

const LOOKUP_CHUNK = 500
const lookups = new WeakMap<Store, (hash: string) => Promise<TokenRow | undefined>>()

function lookupOf(store: Store) {
  let lookup = lookups.get(store)
  if (!lookup) {
    lookup = createTokenLookup(store)
    lookups.set(store, lookup)
  }
  return lookup
}

/**
 * Token lookups asked for in one I/O turn share one query, issued after the turn: every request
 * still reads the store after it arrived (a revoked token is refused at once, whichever process
 * revoked it), but a thousand requests a second cost a few queries instead of a thousand.
 * Plain SQL: building it through drizzle costs ~20× more.
 */
function createTokenLookup(store: Store) {
  type Waiter = { resolve(row: TokenRow | undefined): void; reject(error: unknown): void }
  let pending = new Map<string, Waiter[]>()
  const run = async () => {
    const batch = pending
    pending = new Map()
    const hashes = [...batch.keys()]
    for (let i = 0; i < hashes.length; i += LOOKUP_CHUNK) {
      const chunk = hashes.slice(i, i + LOOKUP_CHUNK)
      try {
        const rows = await readTokens(store, chunk)
        for (const hash of chunk) for (const w of batch.get(hash) ?? []) w.resolve(rows.get(hash))
      } catch (error) {
        for (const hash of chunk) for (const w of batch.get(hash) ?? []) w.reject(error)
      }
    }
  }
  return (hash: string) =>
    new Promise<TokenRow | undefined>((resolve, reject) => {
      if (pending.size === 0) setImmediate(run)
      const waiters = pending.get(hash)
      if (waiters) waiters.push({ resolve, reject })
      else pending.set(hash, [{ resolve, reject }])
    })
}

async function readTokens(store: Store, hashes: string[]): Promise<Map<string, TokenRow>> {
  const result = await store.client.execute({
    sql: `SELECT hash, id, name, scopes, last_used_at, revoked_at FROM api_tokens WHERE hash IN (${hashes.map(() => '?').join(', ')})`,
    args: hashes,
  })
  const rows = new Map<string, TokenRow>()
  for (const raw of result.rows)
    rows.set(String(raw.hash), {
      id: String(raw.id),
      name: String(raw.name),
      scopes: JSON.parse(String(raw.scopes)) as string[],
      lastUsedAt: raw.last_used_at === null ? null : Number(raw.last_used_at),
      revoked: raw.revoked_at !== null,
    })
  return rows
}
