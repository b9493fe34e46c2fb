// One owner per table: each table is written (insert, update, delete, raw SQL) from one area only.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { getTableName, is } from 'drizzle-orm'
import { SQLiteTable } from 'drizzle-orm/sqlite-core'
import { describe, expect, it } from 'vitest'
import * as schema from './schema.ts'

/** The area whose functions write each table; every other area calls them. */
const OWNERS: Record<string, string> = {
  health_states: 'core/health',
  store_revisions: 'core/store',
  events: 'core/events',
  cursors: 'core/events',
  incidents: 'core/act',
  runs: 'core/act',
  steps: 'core/act',
  fence_states: 'core/act',
  drained_servers: 'core/act',
  audit_log: 'core/act',
  approvals: 'core/act',
  outbox: 'core/notify',
  notify_groups: 'core/notify',
  notify_alerts: 'core/notify',
  notify_threads: 'core/notify',
  receiver_states: 'core/notify',
  silences: 'core/notify',
  leases: 'core/store',
  instances: 'core/runtime',
  api_tokens: 'core/api',
  idempotency_keys: 'core/api',
  policy_timers: 'core/policy',
  policy_states: 'core/policy',
}

const ROOT = join(import.meta.dirname, '..', '..')

describe('the store tables', () => {
  const tables = Object.entries(schema).filter(([, value]) => is(value, SQLiteTable))
  const sources = sourceFiles()

  it('each have one owning area', () => {
    expect(tables.length).toBeGreaterThan(20)
    const unowned = tables.map(([, t]) => getTableName(t as SQLiteTable)).filter((n) => !OWNERS[n])
    expect(unowned).toEqual([])
  })

  it('are written only by their owner (every table is written somewhere)', () => {
    const strays: string[] = []
    for (const [name, table] of tables) {
      const sqlName = getTableName(table as SQLiteTable)
      const writers = sources.filter(({ text }) => writes(text, name, sqlName))
      // A table nobody writes would make this pass by finding nothing: the pattern is stale.
      expect(writers.length, `no writer found for ${sqlName}`).toBeGreaterThan(0)
      for (const { path } of writers)
        if (!path.startsWith(`${OWNERS[sqlName]}/`)) strays.push(`${sqlName} written in ${path}`)
    }
    expect(strays).toEqual([])
  })
})

function writes(text: string, name: string, sqlName: string): boolean {
  const builder = new RegExp(`\\.(insert|update|delete)\\(\\s*(\\w+\\.)?${name}\\b`)
  const raw = new RegExp(
    `\\b(INSERT( OR \\w+)? INTO|REPLACE INTO|UPDATE|DELETE FROM) ${sqlName}\\b`,
  )
  return builder.test(text) || raw.test(text)
}

function sourceFiles(): { path: string; text: string }[] {
  const files: { path: string; text: string }[] = []
  for (const top of ['core', 'plugins'])
    for (const entry of readdirSync(join(ROOT, top), { recursive: true, encoding: 'utf8' })) {
      if (!/\.tsx?$/.test(entry) || entry.endsWith('.test.ts')) continue
      const full = join(ROOT, top, entry)
      files.push({ path: relative(ROOT, full), text: readFileSync(full, 'utf8') })
    }
  return files
}
