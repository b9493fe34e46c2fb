// Three daemon processes on one database file: a node failure is handled exactly once, and the next one again.
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  type DaemonProcess,
  eventually,
  type LabSite,
  query,
  reconcileLvs,
  spawnDaemons,
  startLabSite,
} from '../e2e/demo-lab.ts'
import { failNode, fenceOffs, recoverNode } from '../lab/demo-world.ts'

let site: LabSite
let daemons: DaemonProcess[] = []

beforeAll(async () => {
  site = await startLabSite({
    net: 31,
    smtpPort: 25331,
    webhookPort: 28331,
    timing: 'quick',
    holdDown: '2s',
  })
  daemons = await spawnDaemons(site, 3)
})

afterAll(async () => {
  for (const { child } of daemons) child.kill('SIGKILL')
  await site?.close()
})

const sql = (text: string) => query(site, text)
const count = async (text: string) => Number((await sql(text))[0]?.n)

it('fences node2 once and relocates db once, with no SQLITE_BUSY and an intact database', async () => {
  // The IPVS table starts empty, as after a boot; tandem makes it match the inventory once the
  // cluster's quorum is known (the executor refuses destructive steps before that).
  await reconcileLvs(site)
  await eventually(
    async () =>
      Number(
        (
          await sql(
            "SELECT count(*) AS n FROM health_states WHERE target LIKE 'web/%' AND state = 'up'",
          )
        )[0]?.n,
      ) === 3,
    // A precondition, not the assertion: three daemons on a loaded 2-core CI machine have taken
    // over 60 s to see every web check up once.
    120_000,
    'web healthy',
  )

  failNode('node2')
  await eventually(
    async () =>
      (await sql("SELECT status FROM runs WHERE policy = 'node-down-failover'"))[0]?.status ===
      'succeeded',
    120_000,
    'the failover to succeed',
  ).catch(async (error: Error) => {
    // What a person would look at: the run and its steps, node2's rows, the refusals, the logs.
    const seen = await Promise.all([
      sql('SELECT id, status, started_at, finished_at FROM runs'),
      sql('SELECT run_id, uses, status, blocked_by, error FROM steps'),
      sql(
        "SELECT target, state, updated_at FROM health_states WHERE target LIKE '%node2%' OR target IN ('monitor', 'cluster')",
      ),
      sql('SELECT action, guard, decision, reason FROM audit_log ORDER BY at DESC LIMIT 10'),
    ])
    const logs = daemons.map((d, i) => `daemon ${i}: ${d.output().slice(-1500)}`).join('\n')
    throw new Error(
      `${error.message} (now ${Date.now()})\n${seen.map((rows) => JSON.stringify(rows)).join('\n')}\n${logs}`,
    )
  })
  // Let the other instances have every chance to act twice.
  await new Promise((resolve) => setTimeout(resolve, 3_000))

  expect(fenceOffs('node2')).toHaveLength(1)
  const relocations = await sql(
    "SELECT count(*) AS n FROM steps WHERE uses = 'rgmanager.relocate' AND status = 'succeeded'",
  )
  expect(Number(relocations[0]?.n)).toBe(1)
  expect(
    (await sql("SELECT count(*) AS n FROM runs WHERE policy = 'node-down-failover'"))[0]?.n,
  ).toBe(1)
  expect((await sql('PRAGMA integrity_check'))[0]?.integrity_check).toBe('ok')
  // Exactly one instance led; the others stood by.
  const leaders = daemons.filter((d) => d.output().includes('[runtime] leading'))
  expect(leaders).toHaveLength(1)
  for (const d of daemons) expect(d.output()).not.toMatch(/SQLITE_BUSY|database is locked/)
}, 240_000)

it('a second failure of node2 after its incident closed is a new incident with its own run, under a new leader', async () => {
  const [first] = await sql("SELECT incident_id FROM runs WHERE policy = 'node-down-failover'")
  expect(first).toBeDefined()
  recoverNode('node2')
  await eventually(
    async () =>
      (await sql(`SELECT status FROM incidents WHERE id = '${first!.incident_id}'`))[0]?.status ===
      'closed',
    60_000,
    'the first incident to close',
  )
  // The leader dies; its groups and its lease go to the survivors.
  const leader = daemons.find((d) => d.output().includes('[runtime] leading'))!
  leader.child.kill('SIGKILL')
  const survivors = daemons.filter((d) => d !== leader)
  await eventually(
    async () => survivors.some((d) => d.output().includes('[runtime] leading')),
    60_000,
    'a new leader',
  )

  failNode('node2')
  const runs = await eventually(
    async () => {
      const rows = await sql(
        "SELECT id, status, incident_id FROM runs WHERE policy = 'node-down-failover' ORDER BY started_at",
      )
      return rows.length === 2 && rows[1]?.status !== 'running' && rows
    },
    120_000,
    'the second failover run to end',
  )
  // Every chance for a second announcement or a second run of this episode.
  await new Promise((resolve) => setTimeout(resolve, 3_000))
  expect(await count("SELECT count(*) AS n FROM runs WHERE policy = 'node-down-failover'")).toBe(2)
  expect(await count("SELECT count(*) AS n FROM events WHERE type = 'node.down'")).toBe(2)
  // Its own run in its own incident, refused by the first one's cooldown (rate guards count
  // across incidents of one target): audited, and nothing done to the world.
  expect(runs[0]?.incident_id).not.toBe(runs[1]?.incident_id)
  expect(runs[1]?.status).toBe('blocked')
  expect(
    await sql(
      `SELECT guard FROM audit_log WHERE run_id = '${runs[1]!.id}' AND decision = 'blocked'`,
    ),
  ).toEqual([{ guard: 'cooldown' }])
  expect(fenceOffs('node2')).toHaveLength(1)
  expect((await sql('PRAGMA integrity_check'))[0]?.integrity_check).toBe('ok')
}, 180_000)
