// Issue 17 findings 1 and 2 on the demo lab: a policy request runs as its requester, and a dry run changes nothing.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { events } from '../../core/store/index.ts'
import { labDest } from '../lab/demo-world.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

const NET = 51
let lab: DemoLab
beforeAll(async () => {
  // The shipped policy alone: on a loaded machine a real-server policy could drain node1 on its
  // own, and the dry run's "nothing changed" would then fail for the wrong reason.
  lab = await startDemoLab({
    net: NET,
    smtpPort: 25351,
    webhookPort: 28351,
    timing: 'quick',
    policyFiles: {
      'planned-maintenance.yaml': readFileSync('policies/planned-maintenance.yaml', 'utf8'),
    },
  })
})
afterAll(() => lab?.close())

interface LabWorld {
  xen: { domains: Record<string, { host: string }> }
}

const node1Weight = () => labDest(80, `127.0.${NET}.1`)?.weight
const guest2Host = () => (lab.world() as unknown as LabWorld).xen.domains.guest2?.host
const maintenance = { policy: 'planned-maintenance', with: { node: 'node1' }, reason: 'kernel' }

it('runs a dry-run policy request without touching the lab world (finding 2)', async () => {
  await lab.healthy()
  const before = { weight: node1Weight(), host: guest2Host() }
  expect(before.weight).toBeGreaterThan(0)
  const res = await lab.requestAction({ ...maintenance, dryRun: true }, ['admin'])
  expect(res.status).toBe(202)
  expect(await res.json()).toMatchObject({ dryRun: true })
  await lab.caughtUp()
  const steps = await lab.steps('planned-maintenance')
  expect(steps.length).toBeGreaterThan(0)
  expect(steps.map((s) => s.blockedBy)).toEqual(steps.map(() => 'dry_run'))
  const [run] = await lab.rows(
    "SELECT dry_run, actor FROM runs WHERE policy = 'planned-maintenance' AND plan IS NOT NULL",
  )
  expect(run).toMatchObject({ dry_run: 1, actor: 'api:e2e' })
  // What the simulated tools did: nothing.
  expect({ weight: node1Weight(), host: guest2Host() }).toEqual(before)
})

it('refuses an operate token a policy whose plan migrates guests, naming the step (finding 1)', async () => {
  const runsBefore = await lab.rows('SELECT id FROM runs')
  const res = await lab.requestAction(maintenance, ['operate'])
  expect(res.status).toBe(403)
  expect(await res.text()).toContain('step \\"live-migrate its guests\\" (xen.migrate)')
  expect(await lab.rows('SELECT id FROM runs')).toHaveLength(runsBefore.length)
  expect(guest2Host()).toBe('node1')
})

it('checks the requester again where each step runs: the migration is refused and audited', async () => {
  // As if the request had been accepted before the policy file gained its migration step: the
  // manual event (as the API writes it) reaches the executor with an operate requester.
  await lab.daemon.instance.store.db.insert(events).values({
    type: 'manual',
    subject: 'node1',
    at: Date.now(),
    labels: { severity: 'info', actor: 'api:ops', node: 'node1', policy: 'planned-maintenance' },
    payload: { ...maintenance, requester: { name: 'api:ops', scopes: ['operate'] } },
    dedupKey: 'manual:test:requester-0001',
  })
  lab.daemon.instance.wake()
  const status = await eventually(
    async () => {
      const [row] = await lab.rows("SELECT status FROM runs WHERE actor = 'api:ops'")
      return row && row.status !== 'running' ? row.status : undefined
    },
    60_000,
    "api:ops's run to end",
  )
  expect(status).toBe('aborted') // drained (operate), then refused at the migration
  const steps = await lab.steps('planned-maintenance')
  const migrate = steps.find((s) => s.uses === 'xen.migrate')
  expect(migrate).toMatchObject({ status: 'skipped', blockedBy: 'scope' })
  expect(migrate?.error).toContain('needs the "fence" scope; api:ops holds operate')
  // Draining is within operate: it ran, as the requester.
  expect(steps.find((s) => s.uses === 'lvs.drain')?.status).toBe('succeeded')
  const audit = await lab.rows(
    `SELECT actor, decision, guard FROM audit_log WHERE step_id = '${migrate?.id}'`,
  )
  expect(audit).toEqual([{ actor: 'api:ops', decision: 'blocked', guard: 'scope' }])
  const [run] = await lab.rows(`SELECT actor FROM runs WHERE id = '${migrate?.runId}'`)
  expect(run).toEqual({ actor: 'api:ops' })
  // The lab world: guest2 never moved.
  expect(guest2Host()).toBe('node1')
  // The notice names the requester as the actor.
  await eventually(
    async () =>
      (await lab.inbox.messages()).some(
        (m) => m.subject.includes('planned-maintenance') && m.body.includes('actor=api:ops'),
      ),
    30_000,
    'a notice naming api:ops',
  )
})
