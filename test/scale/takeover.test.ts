// The leader dies in the middle of a fence: another daemon takes over and never fences twice.
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
import { failNode, fenceOffs, slowFenceDevice } from '../lab/demo-world.ts'
import { readWorld } from '../lab/world.mjs'

const LEASE_MS = 2_000
let site: LabSite
let daemons: DaemonProcess[] = []

beforeAll(async () => {
  site = await startLabSite({ net: 32, smtpPort: 25332, webhookPort: 28332, timing: 'quick' })
  daemons = await spawnDaemons(site, 2, ['--lease', `${LEASE_MS}ms`])
})

afterAll(async () => {
  for (const { child } of daemons) child.kill('SIGKILL')
  await site?.close()
})

it('SIGKILL of the leader mid-fence: the other takes over within 2 lease periods and finishes without a second fence', async () => {
  await reconcileLvs(site)
  // node2's level-1 device takes 4 s: long enough to kill the leader while the agent runs.
  slowFenceDevice('127.0.32.102', 4_000)
  failNode('node2')
  await eventually(async () => fenceOffs('node2').length > 0, 90_000, 'the fence agent to start')
  const leader = daemons.find((d) => d.output().includes('[runtime] leading'))!
  const standby = daemons.find((d) => d !== leader)!
  leader.child.kill('SIGKILL')
  const killedAt = Date.now()
  await eventually(
    async () => standby.output().includes('[runtime] leading'),
    4 * LEASE_MS + 5_000,
    'a new leader',
  )
  const tookOverMs = Date.now() - killedAt
  await eventually(
    async () => {
      const rows = await query(site, "SELECT status FROM runs WHERE policy = 'node-down-failover'")
      return rows[0]?.status === 'succeeded'
    },
    90_000,
    'the failover to finish under the new leader',
  )
  // The new leader polls every 250 ms; the old lease runs out after at most one lease period.
  expect(tookOverMs).toBeLessThanOrEqual(2 * LEASE_MS + 1_000)
  expect(fenceOffs('node2')).toHaveLength(1)
  const relocations = await query(
    site,
    "SELECT count(*) AS n FROM steps WHERE uses = 'rgmanager.relocate' AND status = 'succeeded'",
  )
  expect(Number(relocations[0]?.n)).toBe(1)
  const world = readWorld() as unknown as {
    nodes: Record<string, { power: string }>
    rgmanager: { services: Record<string, { owner: string }> }
  }
  expect(world.nodes.node2?.power).toBe('off')
  expect(world.rgmanager.services['service:db']?.owner).toBe('node3')
  console.log(
    `[scale] leader SIGKILLed mid-fence; new leader after ${tookOverMs} ms (lease ${LEASE_MS} ms)`,
  )
}, 240_000)
