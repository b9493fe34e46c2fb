// Issue 16: a node that fails, is fenced and recovered, rejoins and fails again needs a new fence
// before anything of it is recovered elsewhere: with the shipped policy and with one without cooldown.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterEach, expect, it } from 'vitest'
import { failNode, fenceOffs, recoverNode } from '../lab/demo-world.ts'
import { readWorld } from '../lab/world.mjs'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

const MINIMAL = `name: node-down-minimal
on:
  - event: node.down
    node: node*
if: health.quorate
for: 2s
steps:
  - name: fence the dead node
    uses: fence.fence
    with:
      node: \${{ event.subject }}
    timeout: 60s
  - name: relocate its cluster services
    uses: rgmanager.relocate
    foreach: \${{ inventory.nodes[event.subject].cluster_services.filter(s, health.owners[s] == event.subject) }}
    with:
      service: \${{ item }}
      from: \${{ event.subject }}
      node: node3
`

let lab: DemoLab | undefined
afterEach(async () => {
  await lab?.close()
  lab = undefined
})

interface RunRow {
  id: string
  status: string
  incident_id: string
}

it('shipped node-down-failover: the second failure opens a new incident; cooldown keeps counting, nothing recovers without a new fence', async () => {
  lab = await startDemoLab({
    net: 41,
    smtpPort: 25341,
    webhookPort: 28341,
    timing: 'quick',
    holdDown: '2s',
  })
  const runs = await twoEpisodes(lab, 'node-down-failover')
  // The second run is its own run in a new incident, refused by the cooldown of the first.
  expect(runs[1]?.status).toBe('blocked')
  expect(new Set(runs.map((r) => r.incident_id)).size).toBe(2)
  const refusal = await lab.rows(
    `SELECT guard FROM audit_log WHERE run_id = '${runs[1]!.id}' AND decision = 'blocked'`,
  )
  expect(refusal).toEqual([{ guard: 'cooldown' }])
  // The lab world: one fence, and db (back on node2 before it failed again) recovered nowhere.
  expect(fenceOffs('node2')).toHaveLength(1)
  const db = dbService()
  expect(db.owner).not.toBe('node3')
  expect(db.last_owner ?? db.owner).toBe('node2')
}, 180_000)

it('a policy without cooldown fences again after the node rejoined and failed, before relocating', async () => {
  lab = await startDemoLab({
    net: 42,
    smtpPort: 25342,
    webhookPort: 28342,
    timing: 'quick',
    holdDown: '2s',
    policyFiles: { 'node-down-minimal.yaml': MINIMAL },
  })
  const runs = await twoEpisodes(lab, 'node-down-minimal')
  expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
  expect(new Set(runs.map((r) => r.incident_id)).size).toBe(2)
  // The lab world: two fence operations, and db moved after the second one.
  const offs = fenceOffs('node2')
  expect(offs).toHaveLength(2)
  const db = dbService()
  expect(db.owner).toBe('node3')
  expect(db.last_transition * 1000).toBeGreaterThanOrEqual(Math.floor(offs[1]!.at / 1000) * 1000)
  // The journal agrees: in each run the relocation began after that run's fence was confirmed.
  for (const run of runs) {
    const steps = await lab.rows(
      `SELECT uses, status, started_at, finished_at FROM steps WHERE run_id = '${run.id}' ORDER BY idx`,
    )
    expect(steps.map((s) => [s.uses, s.status])).toEqual([
      ['fence.fence', 'succeeded'],
      ['rgmanager.relocate', 'succeeded'],
    ])
    expect(Number(steps[1]!.started_at)).toBeGreaterThanOrEqual(Number(steps[0]!.finished_at))
  }
}, 180_000)

/** node2 fails, is handled, comes back (its incident resolves, then closes), gets db back, fails again. */
async function twoEpisodes(lab: DemoLab, policy: string): Promise<RunRow[]> {
  // A step held by a blind monitor (a loaded machine) leaves its run `blocked` until it is
  // released: that run has not ended yet.
  const runsOf = async () =>
    (await lab.rows(
      `SELECT id, status, incident_id, (SELECT count(*) FROM steps s WHERE s.run_id = r.id
         AND s.status = 'blocked' AND s.blocked_by IN ('monitor_blind', 'quorum')) AS held
       FROM runs r WHERE policy = '${policy}' ORDER BY started_at`,
    )) as unknown as (RunRow & { held: number })[]
  const ended = (n: number) =>
    eventually(
      async () => {
        const rows = await runsOf()
        const over = rows.every((r) => r.status !== 'running' && Number(r.held) === 0)
        return rows.length === n && over && rows
      },
      90_000,
      `${n} ${policy} run(s) to end`,
    )
  await lab.healthy()
  failNode('node2')
  const [first] = await ended(1)
  const firstSteps = await lab.rows(
    `SELECT uses, status, blocked_by, error FROM steps WHERE run_id = '${first?.id}' ORDER BY idx`,
  )
  // (A drain may be refused as busy by the real-server policy running at the same time.)
  expect(first?.status, JSON.stringify(firstSteps)).toMatch(/^(succeeded|aborted)$/)
  expect(fenceOffs('node2')).toHaveLength(1)
  expect(dbService().owner, JSON.stringify(firstSteps)).toBe('node3')

  recoverNode('node2')
  const status = async () =>
    (await lab.rows(`SELECT status FROM incidents WHERE id = '${first!.incident_id}'`))[0]?.status
  await eventually(async () => (await status()) === 'resolved', 30_000, 'the incident resolved')
  await eventually(async () => (await status()) === 'closed', 30_000, 'the incident closed')
  // The operator moves db home once node2 is back; health must see it there before it fails.
  await promisify(execFile)('clusvcadm', ['-r', 'db', '-m', 'node2'])
  await eventually(
    async () =>
      (await lab.rows("SELECT detail FROM health_states WHERE target = 'service/db'"))[0]?.detail
        ?.toString()
        .includes('"owner":"node2"'),
    30_000,
    'health to see db on node2',
  )
  failNode('node2')
  return ended(2)
}

function dbService(): { owner: string | null; last_owner: string | null; last_transition: number } {
  const world = readWorld() as unknown as {
    rgmanager: {
      services: Record<
        string,
        { owner: string | null; last_owner: string | null; last_transition: number }
      >
    }
  }
  return world.rgmanager.services['service:db']!
}
