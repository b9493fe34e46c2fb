// Fencing broken on the demo: node2 dies but cannot be fenced, so nothing moves and people are told.
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadConfig } from '../../core/inventory/index.ts'
import { failNode, setFenceBehaviour } from '../lab/demo-world.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

let lab: DemoLab
beforeAll(async () => {
  lab = await startDemoLab({ net: 23, smtpPort: 25323, webhookPort: 28323, timing: 'quick' })
})
afterAll(() => lab?.close())

interface LabWorld {
  nodes: Record<string, { power: string }>
  rgmanager: {
    services: Record<string, { state: string; owner: string | null; last_owner: string | null }>
  }
  xen: { domains: Record<string, { host: string; state: string }>; violations?: unknown[] }
  fence: { calls: { action?: string }[] }
}

it('never relocates from an unfenced node2: it stays unclean and the on-call is escalated to', async () => {
  await lab.healthy()
  setFenceBehaviour(await loadConfig(join(lab.dir, 'tandem.yaml')), 'node2', 'fail')
  failNode('node2')

  const status = await lab.finished('node-down-failover', 100_000)
  const steps = await lab.steps('node-down-failover')
  const trace = JSON.stringify(steps.map((s) => [s.uses, s.status, s.error]))
  expect(status, trace).toBe('failed')
  // The fence was tried (with its retries) and nothing after it ran.
  expect(steps[0]).toMatchObject({ uses: 'fence.fence', status: 'failed' })
  for (const step of steps.slice(1)) expect(step.status, trace).not.toBe('succeeded')
  // Draining node2's dead web server needs no fence (real-server-failed may do it); moving its
  // cluster service or guest does, and must not happen.
  const moves = await lab.rows(
    "SELECT action FROM audit_log WHERE decision = 'executed' AND (action LIKE 'rgmanager.%' OR action LIKE 'xen.%')",
  )
  expect(moves).toEqual([])

  const world = lab.world() as unknown as LabWorld
  // db was not started on a survivor (the lab's rgmanager stops it for recovery, last owner
  // node2); guest1 was not started elsewhere.
  const db = world.rgmanager.services['service:db']
  expect(db?.state).not.toBe('started')
  expect([db?.owner, db?.last_owner]).toContain('node2')
  expect(world.xen.domains.guest1?.host).toBe('node2')
  expect(world.xen.violations ?? []).toEqual([])
  expect(world.nodes.node2?.power).toBe('on') // the broken device did nothing
  expect(world.fence.calls.length).toBeGreaterThan(0)

  const [fence] = await lab.rows("SELECT state, failures FROM fence_states WHERE node = 'node2'")
  expect(fence?.state).toBe('unclean')
  expect(Number(fence?.failures)).toBeGreaterThan(0)

  // The on-call hears about it by mail (the escalation receiver), and the webhook too.
  const notices = await eventually(
    async () => {
      const failed = (await lab.inbox.messages()).filter((m) =>
        /fail|unclean|escalat/i.test(m.subject),
      )
      return failed.some((m) => m.channel === 'email') ? failed : undefined
    },
    30_000,
    'the escalation notice',
  )
  expect(notices.length).toBeGreaterThan(0)
  const queued = await lab.rows("SELECT receiver FROM outbox WHERE receiver = 'oncall-mail'")
  expect(queued.length).toBeGreaterThan(0)
}, 150_000)
