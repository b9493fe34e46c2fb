// The monitor's own network is cut on the demo: tandem says it is blind and touches nothing.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { partition } from '../lab/demo-world.ts'
import { type DemoLab, eventually, QUICK, startDemoLab } from './demo-lab.ts'

let lab: DemoLab
beforeAll(async () => {
  lab = await startDemoLab({ net: 24, smtpPort: 25324, webhookPort: 28324, timing: 'quick' })
})
afterAll(() => lab?.close())

interface LabWorld {
  nodes: Record<string, { power: string }>
  rgmanager: { services: Record<string, { state: string; owner: string | null }> }
  xen: { domains: Record<string, { host: string; state: string }> }
  fence: { calls: unknown[] }
}

it('raises monitor.blind when every node vanishes at once, and fences, drains and moves nothing', async () => {
  await lab.healthy()
  const before = lab.world() as unknown as LabWorld
  partition() // no node named: tandem's own network is gone

  await eventually(
    async () => (await lab.rows("SELECT id FROM events WHERE type = 'monitor.blind'")).length > 0,
    40_000,
    'a monitor.blind event',
  )
  // Give node-down-failover's `for:` (after fall × interval) twice the time it needs to expire
  // while blind: it must still not act.
  const wouldFireMs = 3 * QUICK.intervalMs + QUICK.forMs
  await new Promise((r) => setTimeout(r, 2 * wouldFireMs))

  const world = lab.world() as unknown as LabWorld
  expect(world.fence.calls).toEqual([])
  for (const node of ['node1', 'node2', 'node3']) expect(world.nodes[node]?.power).toBe('on')
  expect(world.rgmanager.services).toEqual(before.rgmanager.services)
  expect(world.xen.domains.guest1?.host).toBe('node2')
  expect(world.xen.domains.guest2?.host).toBe('node1')
  // Nothing destructive was even attempted.
  const executed = await lab.rows(
    "SELECT action FROM audit_log WHERE decision IN ('executed', 'failed') AND action <> 'lvs.reconcile'",
  )
  expect(executed).toEqual([])
  // A blind monitor withholds its verdicts: no node is called down, so no policy even matches
  // (the monitor_blind guard behind it is tested in core/act).
  const verdicts = await lab.rows(
    "SELECT type, subject FROM events WHERE type IN ('node.down', 'node.unreachable', 'service.down', 'check.failed')",
  )
  expect(verdicts).toEqual([])
  expect(await lab.rows('SELECT policy FROM runs')).toEqual([{ policy: 'manual' }]) // the boot reconcile
  const fenceStates = await lab.rows("SELECT state FROM fence_states WHERE state <> 'clean'")
  expect(fenceStates).toEqual([])

  // People are still told that tandem cannot see.
  const notice = await eventually(
    async () => (await lab.inbox.messages()).find((m) => /cannot see/i.test(m.subject)),
    30_000,
    'a monitor-blind notice',
  )
  expect(notice).toMatchObject({ channel: 'email' }) // critical: the on-call's mail
  expect(notice.subject).toMatch(/actions are held/)
  expect(notice.body).toContain('monitor.blind')
}, 120_000)
