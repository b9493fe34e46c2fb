// What the torture test found (docs/torture.md), replayed on one demo lab: a guest, and a cluster
// service, lost with a host that crashed and booted before any failover; an API drain and restore
// sent back to back.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { failNode, recoverNode } from '../lab/demo-world.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

const NET = 46
let lab: DemoLab
beforeAll(async () => {
  lab = await startDemoLab({ net: NET, smtpPort: 25346, webhookPort: 28346, timing: 'quick' })
  await lab.healthy()
})
afterAll(() => lab?.close())

interface LabWorld {
  xen: { domains: Record<string, { host: string; state: string }>; violations?: unknown[] }
  rgmanager: { services: Record<string, { owner: string | null; state: string }> }
}

it('node2 crashing and booting at once (guest1 lost with it) starts guest1 again on node2', async () => {
  // Faster than any probe can see node2 down: no node.down, so no failover would ever run.
  failNode('node2')
  recoverNode('node2')

  const status = await lab.finished('guest-down-restart', 60_000)
  const steps = await lab.steps('guest-down-restart')
  const summary = JSON.stringify(steps.map((s) => [s.uses, s.input, s.status, s.error]))
  expect(status, summary).toBe('succeeded')
  expect(steps.map((s) => [s.uses, s.input])).toEqual([['xen.start', { vm: 'guest1' }]])
  const world = lab.world() as unknown as LabWorld
  expect(world.xen.domains.guest1).toMatchObject({ host: 'node2', state: 'running' })
  expect(world.xen.violations ?? []).toEqual([])
  // Health saw it go and come back; the incident the loss opened is resolved by vm.up.
  // vm.up comes from the first guest probe after the start.
  const events = await eventually(
    async () => {
      const rows = await lab.rows(
        "SELECT type FROM events WHERE subject = 'guest1' AND type LIKE 'vm.%' ORDER BY id",
      )
      return rows.some((e) => e.type === 'vm.up') && rows
    },
    20_000,
    'vm.up for guest1',
  )
  expect(events.map((e) => e.type)).toEqual(['vm.down', 'vm.up'])
  await eventually(
    async () => {
      const rows = await lab.rows("SELECT status FROM incidents WHERE key = 'vm.down:guest1'")
      return rows.length === 1 && rows[0]?.status !== 'open'
    },
    20_000,
    'the vm.down:guest1 incident to resolve',
  )
  expect(await lab.rows("SELECT 1 FROM runs WHERE policy = 'node-down-failover'")).toEqual([])
}, 120_000)

/** A real server's weight in the director's table, as the lab's ipvsadm prints it. */
async function weightOf(node: number): Promise<number> {
  const { stdout } = await promisify(execFile)('ipvsadm', ['-Ln'], {
    env: { ...process.env, TANDEM_LAB_NODE: 'director' },
  })
  const line = stdout.split('\n').find((l) => l.includes(`-> 127.0.${NET}.${node}:`))
  if (!line) throw new Error(`node${node} is not in the table:\n${stdout}`)
  return Number(line.trim().split(/\s+/)[3])
}

it('an API drain then restore sent back to back run in that order: the weight is back', async () => {
  await lab.healthy()
  const weight = await weightOf(3)
  expect(weight).toBeGreaterThan(0)
  const runIds: string[] = []
  for (const uses of ['lvs.drain', 'lvs.restore']) {
    const body = { uses, with: { service: 'web', node: 'node3' }, reason: 'operator' }
    const answer = await lab.requestAction(body, ['operate'])
    expect(answer.status).toBe(202)
    runIds.push(((await answer.json()) as { runId: string }).runId)
  }
  await lab.caughtUp()
  const rows = await lab.rows(
    `SELECT id, status, trigger FROM runs WHERE id IN ('${runIds.join("','")}')`,
  )
  const byId = new Map(rows.map((r) => [r.id, r]))
  const executed = rows.map((r) => JSON.parse(String(r.trigger)).executedBy as string)
  const steps = await lab.rows(
    `SELECT run_id, uses, status, blocked_by, error FROM steps WHERE run_id IN ('${executed.join("','")}')`,
  )
  const outcome = runIds.map((id) => [byId.get(id)?.status, byId.get(id)?.trigger, steps])
  expect(
    outcome.map((o) => o[0]),
    JSON.stringify(outcome),
  ).toEqual(['succeeded', 'succeeded'])
  expect(await weightOf(3)).toBe(weight)
}, 60_000)

// Torture seed 16: node2 (db's owner) crashed while tandem was dead and booted before it was back.
// The cluster saw node2 leave and stopped db for recovery; nobody fenced node2, so nothing ever
// relocated db, and once node2 rejoined no policy started it: db stayed stopped on no node.
it('node2 crashing and rejoining after the cluster stopped db (no failover) starts db on node2', async () => {
  await lab.healthy()
  // An earlier case (node2 crashing and booting) can already have left a run of this policy.
  const earlier = new Set(
    (await lab.rows("SELECT id FROM runs WHERE policy = 'service-stopped-start'")).map((r) => r.id),
  )
  const run = promisify(execFile)
  failNode('node2')
  // The cluster notices at its next look (any clustat), before tandem's fall threshold does.
  expect((await run('clustat', [])).stdout).toMatch(/service:db\s+\(node2\)\s+stopped/)
  recoverNode('node2')

  // A loaded machine can make the monitor blind for a while: the step is then held, not lost,
  // and the run goes on once it sees again. On a timeout, say what tandem saw.
  const status = await eventually(
    async () => {
      const rows = await lab.rows(
        "SELECT id, status FROM runs WHERE policy = 'service-stopped-start'",
      )
      const s = rows.find((r) => !earlier.has(r.id))?.status
      return (s === 'succeeded' || s === 'failed') && s
    },
    90_000,
    'the service-stopped-start run to end',
  ).catch(async (e) => {
    const ev = await lab.rows('SELECT id, type, subject, labels FROM events ORDER BY id')
    const au = await lab.rows('SELECT action, target, decision, guard, reason FROM audit_log')
    const hs = await lab.rows(
      "SELECT target, state, detail FROM health_states WHERE target IN ('service/db','node/node2','cluster')",
    )
    throw new Error(`${e}\n${JSON.stringify(ev)}\n${JSON.stringify(au)}\n${JSON.stringify(hs)}`)
  })
  const steps = await lab.steps('service-stopped-start')
  expect(status, JSON.stringify(steps)).toBe('succeeded')
  expect(steps.map((s) => [s.uses, s.input])).toEqual([
    ['rgmanager.enable', { service: 'db', node: 'node2' }],
  ])
  const world = lab.world() as unknown as LabWorld
  expect(world.rgmanager.services['service:db']).toMatchObject({ owner: 'node2', state: 'started' })
  // Health saw it stop and start again; the incident the stop opened is resolved by it.
  await eventually(
    async () => {
      const rows = await lab.rows("SELECT status FROM incidents WHERE key = 'service.stopped:db'")
      return rows.length === 1 && rows[0]?.status !== 'open'
    },
    20_000,
    'the service.stopped:db incident to resolve',
  )
  const events = await lab.rows(
    "SELECT type FROM events WHERE subject = 'db' AND type LIKE 'service.st%' ORDER BY id",
  )
  expect(events.map((e) => e.type)).toEqual(['service.stopped', 'service.started'])
  expect(await lab.rows("SELECT 1 FROM runs WHERE policy = 'node-down-failover'")).toEqual([])
}, 150_000)
