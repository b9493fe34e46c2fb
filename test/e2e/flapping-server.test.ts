// A flapping real server on the demo: node3:8080 fails and recovers again and again; weight changes stay bounded.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { labDest, setServerHealth } from '../lab/demo-world.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

const TOGGLES = 8
let lab: DemoLab
beforeAll(async () => {
  lab = await startDemoLab({ net: 25, smtpPort: 25325, webhookPort: 28325, timing: 'quick' })
})
afterAll(() => lab?.close())

it('drains and restores node3 at most once each within the cooldowns, and says why it held back', async () => {
  await lab.healthy()
  // `tandem lab flap node3 --times 8`: each swing lasts until the monitor has called it (fall 3
  // failing results, then rise 2 passing ones), so every swing is a real check.failed /
  // check.recovered. At 5+ results per cycle (2 changes) the weighted change rate stays near
  // 40 %, under the default flap threshold (50 % of 21 results), so the swings stay announced.
  const swingCount = async (type: string) =>
    Number(
      (
        await lab.rows(
          `SELECT count(*) AS n FROM events WHERE type = '${type}' AND subject LIKE '%node3%'`,
        )
      )[0]?.n,
    )
  for (let i = 0; i < TOGGLES; i++) {
    const healthy = i % 2 === 1
    const type = healthy ? 'check.recovered' : 'check.failed'
    const seen = await swingCount(type)
    setServerHealth('node3', 8080, healthy)
    await eventually(async () => (await swingCount(type)) > seen, 30_000, `${type} #${i + 1}`)
  }
  setServerHealth('node3', 8080, true)
  await lab.caughtUp()

  // Every weight the director saw change, from the journal of lvs.* steps that ran commands.
  const edits = await lab.rows(
    `SELECT r.policy, s.uses, s.status, s.commands FROM steps s JOIN runs r ON r.id = s.run_id
     WHERE s.uses IN ('lvs.drain', 'lvs.restore') AND s.status = 'succeeded' ORDER BY s.started_at`,
  )
  const swings = await lab.rows(
    "SELECT type FROM events WHERE type IN ('check.failed', 'check.recovered') AND subject LIKE '%node3%'",
  )
  const failed = swings.filter((e) => e.type === 'check.failed').length
  console.log(
    `[e2e] ${TOGGLES} toggles → ${failed} check.failed, ${swings.length - failed} check.recovered → ${edits.length} weight edits`,
  )
  expect(failed, 'the flapping was seen more than once').toBeGreaterThanOrEqual(2)
  // Cooldown 2m on both policies: one drain and one restore at most, however often it flaps.
  expect(edits.filter((e) => e.uses === 'lvs.drain').length).toBeLessThanOrEqual(1)
  expect(edits.filter((e) => e.uses === 'lvs.restore').length).toBeLessThanOrEqual(1)
  expect(edits.length).toBeGreaterThanOrEqual(1)

  // Every run the guards stopped left an audit row naming the guard and the reason.
  const refused = await lab.rows(
    "SELECT action, guard, reason FROM audit_log WHERE decision = 'blocked'",
  )
  expect(refused.length).toBeGreaterThanOrEqual(failed - 1)
  expect(refused.map((r) => r.guard)).toContain('cooldown')
  for (const row of refused) {
    expect(row.guard).toBeTruthy()
    expect(row.reason).toBeTruthy()
  }
  const blockedRuns = await lab.rows("SELECT id FROM runs WHERE status = 'blocked'")
  const audited = await lab.rows(
    "SELECT DISTINCT run_id FROM audit_log WHERE decision = 'blocked' AND run_id IS NOT NULL",
  )
  expect(audited.length).toBe(blockedRuns.length)

  // People hear of the held decisions once: at most one HELD notice per receiver, none BLOCKED
  // for a cooldown. Counted in the outbox, where every notice is written before it is sent.
  const notices = await lab.rows(
    "SELECT receiver, json_extract(payload, '$.outcome') AS outcome, json_extract(payload, '$.title') AS title, json_extract(payload, '$.refused') AS refused FROM outbox",
  )
  const held = notices.filter((n) => n.outcome === 'held' || /flapping/i.test(String(n.title)))
  const receivers = new Set(held.map((n) => n.receiver))
  expect(held.length, JSON.stringify(held)).toBe(receivers.size)
  const blockedByCooldown = notices.filter(
    (n) => n.outcome === 'blocked' && /"guard":"(cooldown|max_runs)"/.test(String(n.refused)),
  )
  expect(blockedByCooldown, 'a BLOCKED notice per held decision').toEqual([])
  console.log(`[e2e] flapping: ${notices.length} notices in the outbox, ${held.length} held`)

  // node3's forwarding method is kept through every edit.
  expect(labDest(80, '127.0.25.3')?.fwd).toBe('masq')
}, 120_000)
