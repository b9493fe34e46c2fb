// The demo's storage server dies: one incident, db stopped cleanly, the on-call paged, and nothing
// started on a node that cannot see the storage (checked in the lab's rgmanager, not the journal).
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApiToken } from '../../core/api/index.ts'
import { loadConfig } from '../../core/inventory/index.ts'
import { failStorage } from '../lab/demo-world.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

let lab: DemoLab
beforeAll(async () => {
  lab = await startDemoLab({
    net: 55,
    smtpPort: 25355,
    webhookPort: 28355,
    timing: 'quick',
    storage: true,
  })
})
afterAll(() => lab?.close())

interface LabWorld {
  rgmanager: { services: Record<string, { state: string; owner: string | null }> }
}
const storageState = async (name: string) =>
  (await lab.rows(`SELECT state FROM health_states WHERE target = 'storage/${name}'`))[0]?.state

it('storage1 fails: one incident, db disabled where it ran, a page, no failover', async () => {
  await lab.healthy()
  // The volume up on every node, and the exports check itself announced up (rise 2): a check
  // never seen up fails silently, as a Nagios service in its first soft states would.
  await eventually(
    async () =>
      (await storageState('gfs-data')) === 'up' &&
      (await lab.rows("SELECT state FROM health_states WHERE target = 'node/director/exports'"))[0]
        ?.state === 'up',
    30_000,
    'the GFS volume and the exports check up',
  )
  const before = (lab.world() as unknown as LabWorld).rgmanager.services['service:db']
  expect(before).toMatchObject({ state: 'started', owner: 'node2' })

  failStorage(await loadConfig(join(lab.dir, 'tandem.yaml')), 'storage1')
  expect(await lab.finished('storage-export-down', 60_000)).toBe('succeeded')

  // Health names one cause: the export is unreachable, the volume down under it.
  expect(await storageState('data-export')).toBe('unreachable')
  const [volume] = await lab.rows(
    "SELECT state, detail FROM health_states WHERE target = 'storage/gfs-data'",
  )
  expect(volume?.state).toBe('down')
  expect(JSON.parse(String(volume?.detail))).toMatchObject({ cause: 'data-export', usable: [] })

  // The status API (and so the dashboard's storage panel) carries the same live facts.
  const { token } = await createApiToken(lab.daemon.instance.store, {
    name: 'storage-e2e',
    scopes: ['read'],
  })
  const status = (await (
    await fetch(new URL('api/v1/status', lab.daemon.url), {
      headers: { authorization: `Bearer ${token}` },
    })
  ).json()) as { storage: { name: string; health: { state: string }; live?: { cause?: string } }[] }
  expect(status.storage.find((s) => s.name === 'gfs-data')).toMatchObject({
    health: { state: 'down' },
    live: { cause: 'data-export' },
  })

  const steps = await lab.steps('storage-export-down')
  expect(steps.map((s) => [s.uses, s.status])).toEqual([['rgmanager.disable', 'succeeded']])
  const world = lab.world() as unknown as LabWorld
  expect(world.rgmanager.services['service:db']?.state).toBe('disabled')

  const incidents = await lab.rows("SELECT key FROM incidents WHERE key LIKE 'storage.down:%'")
  expect(incidents).toHaveLength(1)
  // Nothing was started or moved anywhere: no relocate, enable or migrate ran.
  const moves = await lab.rows(
    "SELECT action FROM audit_log WHERE decision = 'executed' AND action IN ('rgmanager.relocate', 'rgmanager.enable', 'rgmanager.migrate')",
  )
  expect(moves).toEqual([])

  // The on-call hears of it by mail (storage-export-down pages), the webhook too.
  const notices = await eventually(
    async () => {
      const all = (await lab.inbox.messages()).filter((m) =>
        /storage-export-down/.test(`${m.subject}\n${m.body}`),
      )
      return all.some((m) => m.channel === 'email') && all.some((m) => m.channel === 'webhook')
        ? all
        : undefined
    },
    // group_wait 10 s, then the outbox: generous, the shared CI machine can be slow.
    60_000,
    'the storage notices',
  )
  expect(notices.length).toBeGreaterThan(0)
}, 150_000)
