// Planned maintenance of node1 on the demo: drain, wait for connections to end, live-migrate, move services, restore.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { labDest } from '../lab/demo-world.ts'
import { closeConnection, openConnection } from '../lab/ipvsadm/traffic.mjs'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

const NET = 22
let lab: DemoLab
beforeAll(async () => {
  lab = await startDemoLab({ net: NET, smtpPort: 25322, webhookPort: 28322, timing: 'quick' })
})
afterAll(() => lab?.close())

interface LabWorld {
  rgmanager: { services: Record<string, { state: string; owner: string }> }
  xen: {
    domains: Record<string, { host: string; reason?: string }>
    violations?: unknown[]
    maxMigrating?: number
  }
}

const web = { protocol: 'tcp', address: '192.0.2.10', port: 80 } as const
const node1Web = { address: `127.0.${NET}.1`, port: 8080 }
const node1Dest = () => labDest(80, node1Web.address)

it('drains node1, waits for its last connection, live-migrates guest2, then restores the weight', async () => {
  await lab.healthy()
  // A client is still connected through node1: the policy must wait for it before moving on.
  const client = openConnection({ service: web, dest: node1Web }, 'director')

  const forbidden = await lab.requestAction(
    { uses: 'xen.migrate', with: { vm: 'guest2', to: 'node3' }, reason: 'e2e' },
    ['operate'],
  )
  expect(forbidden.status).toBe(403) // moving guests needs the fence scope
  const accepted = await lab.requestAction(
    { policy: 'planned-maintenance', with: { node: 'node1' }, reason: 'kernel update' },
    ['operate', 'fence'],
  )
  expect(accepted.status, await accepted.clone().text()).toBe(202)

  // Drained, but the connection holds the run in wait_drained: guest2 has not moved yet.
  await eventually(async () => node1Dest()?.weight === 0, 30_000, 'node1 drained')
  await eventually(
    async () =>
      (await lab.steps('planned-maintenance')).some(
        (s) => s.uses === 'lvs.wait_drained' && s.status === 'running',
      ),
    30_000,
    'the wait for connections to end',
  )
  await new Promise((r) => setTimeout(r, 1_500))
  expect((lab.world() as unknown as LabWorld).xen.domains.guest2?.host).toBe('node1')
  closeConnection(client, 'director')

  const status = await lab.finished('planned-maintenance')
  const steps = await lab.steps('planned-maintenance')
  const trace = JSON.stringify(steps.map((s) => [s.uses, s.status, s.error]))
  expect(status, trace).toBe('succeeded')
  const order = steps.map((s) => s.uses)
  expect(order.indexOf('lvs.drain')).toBeLessThan(order.indexOf('lvs.wait_drained'))
  expect(order.indexOf('lvs.wait_drained')).toBeLessThan(order.indexOf('xen.migrate'))
  expect(order).not.toContain('xen.restart_elsewhere')
  const waited = steps.find((s) => s.uses === 'lvs.wait_drained')!
  const migrated = steps.find((s) => s.uses === 'xen.migrate')!
  expect(migrated.startedAt!).toBeGreaterThanOrEqual(waited.finishedAt!)

  const world = lab.world() as unknown as LabWorld
  // guest2 moved live to its preferred survivor: a migration, never a second copy.
  expect(world.xen.domains.guest2).toMatchObject({ host: 'node3', reason: 'migrated' })
  expect(world.xen.maxMigrating).toBeGreaterThanOrEqual(1)
  expect(world.xen.violations ?? []).toEqual([])
  // node1 owns no cluster service here (db lives on node2): nothing to move, nothing moved.
  expect(world.rgmanager.services['service:db']).toMatchObject({ state: 'started', owner: 'node2' })
  expect(node1Dest()).toMatchObject({ weight: 0, fwd: 'masq' })

  // Back from maintenance: maintenance-end gives node1 its configured weight again.
  const back = await lab.requestAction(
    { policy: 'maintenance-end', with: { node: 'node1' }, reason: 'kernel updated' },
    ['operate'],
  )
  expect(back.status).toBe(202)
  expect(await lab.finished('maintenance-end', 30_000)).toBe('succeeded')
  expect(node1Dest()).toMatchObject({ weight: 5, fwd: 'masq' })
  // The API's queued requests say how they ended and which run carried them out.
  const requested = await lab.rows(
    "SELECT status, trigger FROM runs WHERE status != 'running' AND json_extract(trigger, '$.executedBy') IS NOT NULL ORDER BY started_at",
  )
  expect(requested.map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
  const carriedBy = requested.map((r) => JSON.parse(String(r.trigger)).executedBy as string)
  for (const id of carriedBy) expect(id).toMatch(/^run-/)
  // Each run that carried a request out acted as its requester, not as the daemon.
  for (const id of carriedBy)
    expect(await lab.rows(`SELECT actor FROM runs WHERE id = '${id}'`)).toEqual([
      { actor: 'api:e2e' },
    ])
  // A request the policy refuses (its if: is false) is closed as blocked, saying why.
  const refused = await lab.requestAction(
    { policy: 'maintenance-end', with: { node: 'no-such-node' }, reason: 'typo' },
    ['operate'],
  )
  const { runId } = (await refused.json()) as { runId: string }
  const [closed] = await eventually(
    async () => {
      const rows = await lab.rows(`SELECT status, trigger FROM runs WHERE id = '${runId}'`)
      return rows[0]?.status === 'queued' ? undefined : rows
    },
    15_000,
    'the refused request to be closed',
  )
  expect(closed?.status).toBe('blocked')
  expect(JSON.parse(String(closed?.trigger)).error).toMatch(/did not fire/)
}, 120_000)
