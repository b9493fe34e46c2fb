// A guest live-migrated away from its declared home: the node it runs on now dies, tandem recovers it.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { failNode } from '../lab/demo-world.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

const NET = 28
let lab: DemoLab
beforeAll(async () => {
  lab = await startDemoLab({ net: NET, smtpPort: 25328, webhookPort: 28328, timing: 'quick' })
  await lab.healthy()
})
afterAll(() => lab?.close())

interface LabWorld {
  nodes: Record<string, { power: string }>
  xen: { domains: Record<string, { host: string }>; violations?: unknown[] }
}

it('after `xl migrate guest1 node3`, node3 dying fences node3 and restarts guest1 elsewhere', async () => {
  // guest1's declared host is node2 (tandem.yaml); an operator moves it by hand.
  await promisify(execFile)('ssh', [`root@127.0.${NET}.2`, 'xl', 'migrate', 'guest1', 'node3'])
  await eventually(
    async () => {
      const [row] = await lab.rows("SELECT detail FROM health_states WHERE target = 'vm/guest1'")
      return JSON.parse(String(row?.detail ?? '{}')).host === 'node3'
    },
    20_000,
    'the xen.domains probe to see guest1 on node3',
  )
  failNode('node3')

  const status = await lab.finished('node-down-failover', 120_000)
  const steps = await lab.steps('node-down-failover')
  const summary = JSON.stringify(steps.map((s) => [s.uses, s.input, s.status, s.error]))
  expect(status, summary).toBe('succeeded')
  expect(steps[0]).toMatchObject({ uses: 'fence.fence', input: { node: 'node3' } })
  // The guest found live on node3 is restarted, after the fence; guest2 (node1) is left alone.
  const restarts = steps.filter((s) => s.uses === 'xen.restart_elsewhere')
  expect(
    restarts.map((s) => [s.input, s.status]),
    summary,
  ).toEqual([[{ vm: 'guest1', from: 'node3' }, 'succeeded']])
  expect(restarts[0]!.startedAt!).toBeGreaterThanOrEqual(steps[0]!.finishedAt!)
  const world = lab.world() as unknown as LabWorld
  expect(world.nodes.node3?.power).toBe('off')
  expect(['node1', 'node2']).toContain(world.xen.domains.guest1?.host)
  expect(world.xen.domains.guest2?.host).toBe('node1')
  expect(world.xen.violations ?? []).toEqual([])
  // The plan says on whose word guest1 was on node3.
  const [run] = await lab.rows(
    "SELECT plan FROM runs WHERE policy = 'node-down-failover' ORDER BY started_at DESC LIMIT 1",
  )
  expect(JSON.parse(String(run?.plan)).guests).toEqual({
    guest1: { node: 'node3', source: 'probe' },
    guest2: { node: 'node1', source: 'probe' },
  })
}, 150_000)
