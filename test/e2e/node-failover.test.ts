// The seed's story end to end on the demo inventory and policies: node2 dies, tandem repairs both worlds.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { failNode, labDest } from '../lab/demo-world.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

let lab: DemoLab
beforeAll(async () => {
  // The shipped timings (2 s probes, `for: 20s`), as `npm start` and bench:e2e run them: the
  // other scenarios run quick, this one proves the demo as a user sees it.
  lab = await startDemoLab({ net: 21, smtpPort: 25321, webhookPort: 28321, timing: 'demo' })
})
afterAll(() => lab?.close())

interface LabWorld {
  nodes: Record<string, { power: string }>
  rgmanager: { services: Record<string, { state: string; owner: string }> }
  xen: { domains: Record<string, { host: string }>; violations?: unknown[] }
}

it('fences node2, drains it from LVS, relocates db, restarts guest1, verifies, and tells people once', async () => {
  // Wait for the first healthy view (rise thresholds) before breaking anything.
  await lab.healthy()
  const failedAt = Date.now()
  failNode('node2')

  const status = await lab.finished('node-down-failover')
  const restoredAt = Date.now()
  const steps = await lab.steps('node-down-failover')
  expect(status, JSON.stringify(steps.map((s) => [s.uses, s.status, s.error]))).toBe('succeeded')

  // Order: the fence comes first and every recovery step after it.
  const uses = steps.map((s) => s.uses)
  expect(uses[0]).toBe('fence.fence')
  expect(uses).toContain('lvs.drain')
  expect(uses).toContain('rgmanager.relocate')
  expect(uses).toContain('xen.restart_elsewhere')
  // A policy an event fired runs as the daemon (`tandem:<instance>`), in the journal and the audit.
  const actors = await lab.rows(
    "SELECT DISTINCT r.actor AS run, a.actor AS audit FROM runs r JOIN audit_log a ON a.run_id = r.id WHERE r.policy = 'node-down-failover'",
  )
  expect(actors).toEqual([
    { run: expect.stringMatching(/^tandem:/), audit: expect.stringMatching(/^tandem:/) },
  ])
  const fenceDone = steps[0]!.finishedAt!
  for (const step of steps.slice(1)) expect(step.startedAt!).toBeGreaterThanOrEqual(fenceDone)
  for (const step of steps) expect(step.status).toBe('succeeded')

  const world = lab.world() as unknown as LabWorld
  // node2 was fenced: powered off by its level-1 device.
  expect(world.nodes.node2?.power).toBe('off')
  // Its real server is drained in LVS; forwarding method and thresholds are kept.
  expect(labDest(80, '127.0.21.2')).toMatchObject({
    weight: 0,
    fwd: 'masq',
    uthreshold: 200,
    lthreshold: 50,
  })
  // db runs on the preferred survivor; guest1 runs on a survivor, started (not migrated) there.
  expect(world.rgmanager.services['service:db']).toMatchObject({ state: 'started', owner: 'node3' })
  expect(['node1', 'node3']).toContain(world.xen.domains.guest1?.host)
  expect(world.xen.violations ?? []).toEqual([])

  // One grouped email and one signed webhook about the failover outcome.
  const messages = await eventually(
    async () => {
      const all = await lab.inbox.messages()
      const done = all.filter((m) => /succeeded|restored|recovered/i.test(m.subject))
      return done.some((m) => m.channel === 'email') && done.some((m) => m.channel === 'webhook')
        ? all
        : undefined
    },
    30_000,
    'the outcome notices',
  )
  const outcome = messages.filter((m) => /succeeded|restored|recovered/i.test(m.subject))
  expect(outcome.filter((m) => m.channel === 'email')).toHaveLength(1)
  expect(outcome.filter((m) => m.channel === 'webhook')).toHaveLength(1)
  expect(messages.every((m) => m.channel === 'email' || m.verified)).toBe(true)

  const commands = steps.reduce((n, s) => n + (s.commands?.length ?? 0), 0)
  console.log(
    `[e2e] node2 failure → service restored in ${((restoredAt - failedAt) / 1000).toFixed(1)} s; ${steps.length} steps, ${commands} planned commands`,
  )
}, 180_000)
