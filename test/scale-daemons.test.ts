// Three daemon processes on one database file: a node failure is handled exactly once.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { createClient } from '@libsql/client'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { eventually, type LabSite, startLabSite } from './e2e/demo-lab.ts'
import { failNode } from './lab/demo-world.ts'
import { readWorld } from './lab/world.mjs'

const run = promisify(execFile)
let site: LabSite
const daemons: { child: ChildProcess; log: string[] }[] = []

beforeAll(async () => {
  site = await startLabSite({ net: 31, smtpPort: 25331, webhookPort: 28331 })
  for (let i = 0; i < 3; i++) {
    const log: string[] = []
    const child = spawn(
      process.execPath,
      [
        'bin/tandem.js',
        'run',
        '--config',
        site.configFile,
        '--store',
        site.storeUrl,
        '--listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child.stdout!.on('data', (chunk) => log.push(String(chunk)))
    child.stderr!.on('data', (chunk) => log.push(String(chunk)))
    daemons.push({ child, log })
  }
  await eventually(
    async () => daemons.every((d) => d.log.join('').includes('tandem is running')),
    60_000,
    'three daemons',
  )
})

afterAll(async () => {
  for (const { child } of daemons) child.kill('SIGKILL')
  await site?.close()
})

const query = async (sql: string) => {
  const client = createClient({ url: site.storeUrl })
  try {
    return (await client.execute(sql)).rows
  } finally {
    client.close()
  }
}

it('fences node2 once and relocates db once, with no SQLITE_BUSY and an intact database', async () => {
  // The IPVS table starts empty, as after a boot; tandem makes it match the inventory once the
  // cluster's quorum is known (the executor refuses destructive steps before that).
  await eventually(
    async () =>
      (await query("SELECT state FROM health_states WHERE target = 'cluster'"))[0]?.state === 'up',
    60_000,
    'a quorum verdict',
  )
  await run(process.execPath, [
    'bin/tandem.js',
    'exec',
    'lvs.reconcile',
    '--config',
    site.configFile,
    '--store',
    site.storeUrl,
  ])
  await eventually(
    async () =>
      Number(
        (
          await query(
            "SELECT count(*) AS n FROM health_states WHERE target LIKE 'web/%' AND state = 'up'",
          )
        )[0]?.n,
      ) === 3,
    60_000,
    'web healthy',
  )

  failNode('node2')
  await eventually(
    async () =>
      (await query("SELECT status FROM runs WHERE policy = 'node-down-failover'"))[0]?.status ===
      'succeeded',
    120_000,
    'the failover to succeed',
  )
  // Let the other instances have every chance to act twice.
  await new Promise((resolve) => setTimeout(resolve, 3_000))

  const world = readWorld() as unknown as { fence: { calls: { action: string; plug?: string }[] } }
  const offs = world.fence.calls.filter((c) => c.action === 'off' && c.plug === 'node2')
  expect(offs).toHaveLength(1)
  const relocations = await query(
    "SELECT count(*) AS n FROM steps WHERE uses = 'rgmanager.relocate' AND status = 'succeeded'",
  )
  expect(Number(relocations[0]?.n)).toBe(1)
  expect(
    (await query("SELECT count(*) AS n FROM runs WHERE policy = 'node-down-failover'"))[0]?.n,
  ).toBe(1)
  expect((await query('PRAGMA integrity_check'))[0]?.integrity_check).toBe('ok')
  // Exactly one instance led; the others stood by.
  const leaders = daemons.filter((d) => d.log.join('').includes('[runtime] leading'))
  expect(leaders).toHaveLength(1)
  for (const d of daemons) expect(d.log.join('')).not.toMatch(/SQLITE_BUSY|database is locked/)
}, 240_000)
