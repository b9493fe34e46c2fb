// Opens the libSQL database (embedded file, :memory: or remote), tunes it and applies migrations.
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Client } from '@libsql/client'
import { createClient as createLocalClient } from '@libsql/client/sqlite3'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import { migrate } from 'drizzle-orm/libsql/migrator'
import { drizzle } from 'drizzle-orm/libsql/sqlite3'
import { TandemError } from '../errors.ts'
import * as schema from './schema.ts'
import { serializeClient } from './serialize.ts'

export const DEFAULT_STORE_URL = 'file:./data/tandem.db'
const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url))
const BUSY_TIMEOUT_MS = 5_000

export type Db = LibSQLDatabase<typeof schema>

/** An open store: the drizzle handle, the raw client, and how to close it. */
export interface Store {
  readonly db: Db
  readonly client: Client
  readonly url: string
  readonly kind: 'file' | 'memory' | 'remote'
  close(): void
}

export interface StoreOptions {
  authToken?: string
  /** Skip migrations (a read-only tool pointed at a database another process migrates). */
  migrate?: boolean
}

/**
 * Opens (and migrates) the store. Embedded files get WAL, a busy timeout and
 * `synchronous=FULL` so a journal write survives power loss.
 *
 * @example
 * const store = await openStore('file:./data/tandem.db')
 * const rows = await store.db.select().from(events)
 */
export async function openStore(
  url: string = DEFAULT_STORE_URL,
  options: StoreOptions = {},
): Promise<Store> {
  const kind =
    url === ':memory:' || url === 'file::memory:'
      ? 'memory'
      : url.startsWith('file:')
        ? 'file'
        : 'remote'
  if (kind === 'remote' && !/^(libsql|https?|wss?):\/\//.test(url))
    throw new TandemError(
      'STORE_UNAVAILABLE',
      `[store] unsupported URL ${url}: use file:, :memory:, libsql://, http(s)://`,
    )
  if (kind === 'file') await mkdir(dirname(resolve(url.slice(5))), { recursive: true })
  let client: Client
  try {
    // One connection per process for embedded files: SQLite has one writer anyway, and
    // per-connection pragmas (busy timeout, synchronous) then hold for every statement;
    // serializeClient makes concurrent callers wait their turn instead of failing.
    // The remote (ws/http) client costs ~10 MB of RSS: loaded only for a remote store.
    const createClient =
      kind === 'remote' ? (await import('@libsql/client')).createClient : createLocalClient
    const raw = createClient({
      url: kind === 'memory' ? ':memory:' : url,
      authToken: options.authToken,
      concurrency: kind === 'remote' ? 20 : 1,
      timeout: BUSY_TIMEOUT_MS,
    })
    client = kind === 'remote' ? raw : serializeClient(raw)
    if (kind === 'file') {
      await client.execute('PRAGMA journal_mode=WAL')
      await client.execute(`PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}`)
      await client.execute('PRAGMA synchronous=FULL')
      await client.execute('PRAGMA foreign_keys=ON')
    }
  } catch (cause) {
    throw new TandemError(
      'STORE_UNAVAILABLE',
      `[store] cannot open ${url}: ${(cause as Error).message}`,
      { cause },
    )
  }
  const db = drizzle(client, { schema })
  if (options.migrate !== false) await migrateOnce(db)
  return { db, client, url, kind, close: () => client.close() }
}

/**
 * Applies pending migrations. Several processes starting on one file at once race to apply
 * them; the loser fails on a table the winner just created, and on retry finds them applied.
 */
async function migrateOnce(db: Db): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db, { migrationsFolder: MIGRATIONS })
      return
    } catch (error) {
      if (attempt >= 5) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 100))
    }
  }
}
