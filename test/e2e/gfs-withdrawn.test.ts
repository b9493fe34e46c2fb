// `tandem lab withdraw node3` in the demo: GFS withdraws on node3 while db runs there. One
// incident; gfs-withdrawn fences node3 (it may hold DLM locks) and moves db to a node whose own
// mount is healthy; the notices tell that one story. Checked in the lab's rgmanager and power.
//
// It was opt-in because it never passed. The root causes (both fixed, each with a unit test):
// the daemon's health view dropped the storage rows' detail, so `health.mounts` was empty and
// the policy's `if:` was always false (core/policy/policy-set.test.ts); and a fence of a node
// that was still running was judged the moment the agent said off, before the monitor saw the
// node go silent, so it was called a lie (test/act/failover.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withdrawGfs } from '../lab/demo-world.ts'
import { updateWorld } from '../lab/world.mjs'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

let lab: DemoLab
beforeAll(async () => {
  lab = await startDemoLab({
    net: 56,
    smtpPort: 25356,
    webhookPort: 28356,
    timing: 'quick',
    storage: true,
  })
})
afterAll(() => lab?.close())

interface LabWorld {
  nodes: Record<string, { power?: string }>
  rgmanager: { services: Record<string, { state: string; owner: string | null }> }
  /** Every fact a tool changed, in order (test/lab/world.mjs). */
  history?: { key: string; from: unknown; to: unknown; by: string }[]
}
const world = () => lab.world() as unknown as LabWorld

describe('lab withdraw node3', () => {
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
    // Moved once, in the lab's rgmanager: node-down-failover may still plan a relocation from a
    // placement read before the move, and finds db already where it goes (nothing to do).
    const moves = (world().history ?? []).filter(
      (h) => h.key === 'rg/service:db' && h.by.startsWith('clusvcadm'),
    )
    // (rgmanager itself may have stopped it for recovery first: from node3 or from none.)
    expect(moves.map((h) => h.to)).toEqual(['node2'])

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
