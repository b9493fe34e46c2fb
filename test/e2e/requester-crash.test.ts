// Issue 17: a requester's run killed mid-way resumes after a restart with the requester's scopes, not the daemon's.
import { readFileSync } from 'node:fs'
import { createClient } from '@libsql/client'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { readWorld } from '../lab/world.mjs'
import {
  type DaemonProcess,
  eventually,
  type LabSite,
  query,
  reconcileLvs,
  serving,
  spawnDaemon,
  startLabSite,
} from './demo-lab.ts'

const NET = 53
let site: LabSite
let daemon: DaemonProcess

beforeAll(async () => {
  // The shipped policy alone: no other policy's step can reach the crash point first.
  const policy = readFileSync('policies/planned-maintenance.yaml', 'utf8')
  site = await startLabSite({
    net: NET,
    smtpPort: 25353,
    webhookPort: 28353,
    timing: 'quick',
    policyFiles: { 'planned-maintenance.yaml': policy },
  })
})
afterAll(async () => {
  daemon?.child.kill('SIGKILL')
  await site?.close()
})

interface LabWorld {
  ipvs: { tables: Record<string, { services: { port: number; dests: Dest[] }[] }> }
  xen: { domains: Record<string, { host: string }> }
}
interface Dest {
  addr: string
  weight: number
}
const world = () => readWorld() as unknown as LabWorld
const node1WebWeight = () =>
  world()
    .ipvs.tables.director?.services.find((s) => s.port === 80)
    ?.dests.find((d) => d.addr === `127.0.${NET}.1`)?.weight

it('resumes an operate caller’s run after a SIGKILL between steps and still refuses its migration', async () => {
  // A daemon armed to die right after a step's outcome is journaled (SIGKILL: no shutdown code
  // runs, the run stays `running`). `tandem exec lvs.reconcile` builds the IPVS table in its own
  // process, so the daemon's first step is the requester's.
  start({ TANDEM_CRASH_AT: 'step.outcome#1' })
  const armed = daemon
  await serving(armed)
  await reconcileLvs(site)
  expect(node1WebWeight()).toBeGreaterThan(0)
  expect(world().xen.domains.guest2?.host).toBe('node1')

  // The manual event as POST /api/v1/actions writes it for an `operate` token — as if accepted
  // before the policy file gained its migration step (the API itself refuses it today).
  const client = createClient({ url: site.storeUrl })
  try {
    // The daemon writes the same file: wait for its write lock as the API's own store does.
    await client.execute('PRAGMA busy_timeout = 10000')
    await client.execute({
      sql: 'INSERT INTO events (type, subject, at, labels, payload, dedup_key) VALUES (?, ?, ?, ?, ?, ?)',
      args: [
        'manual',
        'node1',
        Date.now(),
        JSON.stringify({
          severity: 'info',
          actor: 'api:ops',
          node: 'node1',
          policy: 'planned-maintenance',
        }),
        JSON.stringify({
          policy: 'planned-maintenance',
          with: { node: 'node1' },
          reason: 'kernel',
          requester: { name: 'api:ops', scopes: ['operate'] },
        }),
        'manual:test:requester-crash-1',
      ],
    })
  } finally {
    client.close()
  }

  const signal = await armed.exited
  expect(signal).toBe('SIGKILL')
  expect(armed.output()).toContain('[crash-points] SIGKILL at step.outcome')
  // Killed mid-run: the first drain is journaled, the migration not begun.
  const [killed] = await query(
    site,
    "SELECT id, status, actor FROM runs WHERE policy = 'planned-maintenance'",
  )
  expect(killed).toMatchObject({ status: 'running', actor: 'api:ops' })
  const before = await steps(String(killed?.id))
  expect(before.find((s) => s.uses === 'lvs.drain')?.status).toBe('succeeded')
  expect(before.find((s) => s.uses === 'xen.migrate')?.status).not.toBe('succeeded')
  expect(node1WebWeight()).toBe(0)

  start({})
  const status = await eventually(
    async () => {
      const [row] = await query(site, `SELECT status FROM runs WHERE id = '${killed?.id}'`)
      return row && row.status !== 'running' ? row.status : undefined
    },
    90_000,
    'the resumed run to end',
  )
  expect(status).toBe('aborted')
  const after = await steps(String(killed?.id))
  const migrate = after.find((s) => s.uses === 'xen.migrate')
  expect(migrate).toMatchObject({ status: 'skipped', blocked_by: 'scope' })
  expect(String(migrate?.error)).toContain('needs the "fence" scope; api:ops holds operate')
  expect(
    await query(
      site,
      `SELECT actor, decision, guard FROM audit_log WHERE step_id = '${migrate?.id}'`,
    ),
  ).toEqual([{ actor: 'api:ops', decision: 'blocked', guard: 'scope' }])
  // What the simulated tools did: node1 drained once, guest2 never moved.
  expect(world().xen.domains.guest2?.host).toBe('node1')
  expect(node1WebWeight()).toBe(0)
}, 240_000)

function steps(runId: string) {
  return query(
    site,
    `SELECT id, uses, status, blocked_by, error FROM steps WHERE run_id = '${runId}' ORDER BY idx`,
  )
}

function start(env: Record<string, string>) {
  daemon = spawnDaemon(site, { args: ['--lease', '1500ms'], env })
}
