// `tandem lab withdraw node3` in the demo: GFS withdraws on node3 while db runs there. One
// incident; gfs-withdrawn fences node3 (it may hold DLM locks) and moves db to a node whose own
// mount is healthy; the notices tell that one story. Checked in the lab's rgmanager and power.
//
// OPT-IN (TANDEM_WITHDRAW_E2E=1): it has not passed yet. In all four runs here (load average
// 25–43 on 2 cores) no gfs-withdrawn run started: when node3's gfs check.failed was handled, the
// `cluster` row read `unknown` (the membership probe timed out) and, in the run that printed it,
// storage/gfs-data still read `up` (cause not established: perhaps the failing gfs results were
// probe timeouts, which carry no facts), so the policy's `if:` was false and the event consumed.
// Whether it passes on a quiet machine is not known.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withdrawGfs } from '../lab/demo-world.ts'
import { updateWorld } from '../lab/world.mjs'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

const optIn = process.env.TANDEM_WITHDRAW_E2E === '1'
let lab: DemoLab
beforeAll(async () => {
  if (!optIn) return
  lab = await startDemoLab({
    net: 56,
    smtpPort: 25356,
    webhookPort: 28356,
    // Shipped timings: the quick ones (1 s checks) let the membership probe time out on a loaded
    // machine, the cluster reads inquorate for a moment, and the policy rightly does nothing.
    timing: 'demo',
    storage: true,
  })
})
afterAll(() => lab?.close())

interface LabWorld {
  nodes: Record<string, { power?: string }>
  rgmanager: { services: Record<string, { state: string; owner: string | null }> }
}
const world = () => lab.world() as unknown as LabWorld

describe.skipIf(!optIn)('lab withdraw node3 (opt-in: TANDEM_WITHDRAW_E2E=1)', () => {
  it('node3 withdraws under db: one incident, node3 fenced, db on a healthy mounter', async () => {
    // db runs on node3, as an operator's earlier relocation left it.
    updateWorld((w) => {
      const db = (w as unknown as LabWorld).rgmanager.services['service:db']
      if (db) db.owner = 'node3'
    })
    await lab.healthy()
    await eventually(
      async () => {
        // The policy acts only on a quorate cluster: a withdraw seen before that is not acted on.
        const rows = await lab.rows(
          "SELECT target, state FROM health_states WHERE target IN ('storage/gfs-data', 'cluster')",
        )
        return rows.length === 2 && rows.every((r) => r.state === 'up')
      },
      30_000,
      'gfs-data up on every node, the cluster quorate',
    )

    expect(withdrawGfs('node3')).toEqual(['/srv/data'])
    expect(await lab.finished('gfs-withdrawn', 90_000)).toBe('succeeded')

    const steps = await lab.steps('gfs-withdrawn')
    expect(steps.map((s) => [s.uses, s.status])).toEqual([
      ['fence.fence', 'succeeded'],
      ['rgmanager.relocate', 'succeeded'],
    ])
    // What the lab's tools did: node3 powered off, db started on node2 (preferred, mount healthy).
    expect(world().nodes.node3?.power).toBe('off')
    expect(world().rgmanager.services['service:db']).toMatchObject({
      state: 'started',
      owner: 'node2',
    })
    const incidents = await lab.rows("SELECT key FROM incidents WHERE key LIKE 'gfs.withdrawn:%'")
    expect(incidents).toEqual([{ key: 'gfs.withdrawn:node3' }])
    // Fenced once in its episode: node-down-failover, which follows the fence, does not fence again.
    await lab.caughtUp()
    const fences = await lab.rows(
      "SELECT target FROM audit_log WHERE action = 'fence.fence' AND decision = 'executed'",
    )
    expect(fences).toHaveLength(1)
    const relocations = await lab.rows(
      "SELECT target FROM audit_log WHERE action = 'rgmanager.relocate' AND decision = 'executed'",
    )
    expect(relocations).toHaveLength(1)

    // One story: every gfs-withdrawn notice is about node3's withdraw, and the last says it ended.
    const notices = await eventually(
      async () => {
        const mails = (await lab.inbox.messages()).filter(
          (m) => m.channel === 'email' && /gfs-withdrawn/.test(`${m.subject}\n${m.body}`),
        )
        return mails.some((m) => /succeeded/i.test(m.subject)) ? mails : undefined
      },
      60_000,
      'the gfs-withdrawn mails',
    )
    for (const mail of notices) expect(`${mail.subject}\n${mail.body}`).toMatch(/node3/)
    expect(notices.some((m) => /fence/.test(m.body) && /db/.test(m.body))).toBe(true)
  }, 240_000)
})
