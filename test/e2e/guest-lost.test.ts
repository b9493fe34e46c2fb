// A guest whose host crashed and booted again before any failover runs nowhere: tandem sees
// vm.down (every hypervisor answers, none runs it) and starts it again, once.
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
  const events = await lab.rows(
    "SELECT type FROM events WHERE subject = 'guest1' AND type LIKE 'vm.%' ORDER BY id",
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
