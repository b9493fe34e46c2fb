// The leader freezes (SIGSTOP) mid-fence past its lease: the other finishes; the old one, resumed, is refused.
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  type DaemonProcess,
  eventually,
  freezeOutsideWriteLock,
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
  site = await startLabSite({ net: 33, smtpPort: 25333, webhookPort: 28333, timing: 'quick' })
  daemons = await spawnDaemons(site, 2, ['--lease', `${LEASE_MS}ms`])
})

afterAll(async () => {
  for (const { child } of daemons) {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  }
  await site?.close()
})

const sql = (text: string) => query(site, text)

/** The daemon that holds the leader lease now (its log names its instance id). */
async function leaseHolder(): Promise<DaemonProcess> {
  const [lease] = await sql("SELECT holder FROM leases WHERE name = 'leader'")
  const holder = `"instance":"${String(lease?.holder)}"`
  const found = daemons.find((d) => d.output().includes(holder))
  if (!found) throw new Error(`no daemon logged ${holder}`)
  return found
}
const count = async (text: string) => Number((await sql(text))[0]?.n)

// UNFINISHED (issue 16): still opt-in. Two causes were found on a machine at load 15-40:
// - The monitor, once blind during node2's failure, never saw again while node2 stayed dead
//   (node2's failing checks plus one more elsewhere stayed above the hysteresis, and a blind
//   monitor never judges node2 down), so drain and relocate were held as monitor_blind. Fixed
//   (core/health/blind.ts: one wholly dark node is left out of the blind share).
// - Leadership churn: with the 2 s lease, an instance lost its OWN lease when its renewal was
//   late (a CPU-starved event loop, the store's queue) and re-acquired it with a new token, so
//   the pass in progress ended STALE_LEADER. Fixed (session 6, docs/torture.md): the same holder
//   keeps its token and resumes the runs the lapse cut short.
// Run once since, at load ~20 (245 s): it failed with "timed out after 30000 ms waiting for the
// resumed leader to be refused" (no STALE_LEADER logged by the thawed leader). Not looked into.
// Run it alone: TANDEM_SCALE_TESTS=1 npx vitest run test/scale/pause.test.ts
it.skipIf(process.env.TANDEM_SCALE_TESTS !== '1')(
  'SIGSTOP of the leader past its lease, then SIGCONT: the late writes are refused, nothing is done twice',
  async () => {
    await reconcileLvs(site)
    // node2's level-1 device takes 4 s per call: the freeze lands while the agent switches it off.
    slowFenceDevice('127.0.33.102', 4_000)
    failNode('node2')
    await eventually(async () => fenceOffs('node2').length > 0, 90_000, 'the fence agent to start')
    // The leader is the lease's holder now, not the first daemon that ever led: under load the
    // 2 s lease can change hands before the failover, and freezing a follower tests nothing.
    const old = await leaseHolder()
    const other = daemons.find((d) => d !== old)!
    await freezeOutsideWriteLock(old.child, site.storeUrl)

    // Frozen well past its lease: the other instance takes over and finishes the incident.
    await eventually(
      async () => other.output().includes('[runtime] leading'),
      4 * LEASE_MS + 10_000,
      'the other instance to lead',
    )
    await eventually(
      async () =>
        (await sql("SELECT status FROM runs WHERE policy = 'node-down-failover'"))[0]?.status ===
        'succeeded',
      120_000,
      'the failover to finish under the new leader',
    )
    const journal = () =>
      sql(
        "SELECT 'run' AS kind, id, status, NULL AS at FROM runs UNION ALL SELECT 'step', id, status, finished_at FROM steps UNION ALL SELECT 'audit', max(id), count(*), NULL FROM audit_log UNION ALL SELECT 'fence', node, state, NULL FROM fence_states ORDER BY 1, 2",
      )
    const settled = await journal()
    const before = old.output().length
    old.child.kill('SIGCONT')

    // The old leader wakes with the fence agent's answer in hand and tries to journal it.
    const clue = (error: Error) => {
      // What the woken leader did instead is the only clue: keep it with the failure.
      const leads = (d: DaemonProcess) =>
        d.output().match(/\[runtime\] (leading|lost leadership|lease lapsed)[^\n]*/g) ?? []
      throw new Error(
        `${error.message}; old leader #${daemons.indexOf(old)}: ${leads(old).join(' | ')}; other: ${leads(other).join(' | ')}; old's log since SIGCONT:\n${old.output().slice(before).slice(-6_000)}`,
      )
    }
    await eventually(
      async () => /STALE_LEADER/.test(old.output().slice(before)) && old.output().slice(before),
      30_000,
      'the resumed leader to be refused',
    ).catch(clue)
    await eventually(
      async () => old.output().slice(before).includes('[runtime] lost leadership'),
      30_000,
      'the resumed leader to step down',
    ).catch(clue)
    // Give it every chance to act again (a dozen lead passes and lease renewals).
    await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS))

    const woke = old.output().slice(before)
    expect(woke).not.toContain('[runtime] leading')
    expect(woke).toContain('"code":"STALE_LEADER"')
    // Not one journal line from the old leader since it woke: every late write was rolled back.
    expect(await journal()).toEqual(settled)
    expect(woke).not.toMatch(/SQLITE_BUSY|database is locked/)
    expect(fenceOffs('node2')).toHaveLength(1)
    expect(
      await count(
        "SELECT count(*) AS n FROM steps WHERE uses = 'rgmanager.relocate' AND status = 'succeeded'",
      ),
    ).toBe(1)
    expect(await count("SELECT count(*) AS n FROM runs WHERE policy = 'node-down-failover'")).toBe(
      1,
    )
    // The run's steps stand as the new leader left them: the late success was not written.
    expect(
      await count(
        "SELECT count(*) AS n FROM steps WHERE uses = 'fence.fence' AND status = 'succeeded'",
      ),
    ).toBe(1)
    const [lease] = await sql("SELECT holder, token FROM leases WHERE name = 'leader'")
    expect(Number(lease?.token)).toBe(2)
    expect(String(lease?.holder)).not.toBe('')
    expect((await sql('PRAGMA integrity_check'))[0]?.integrity_check).toBe('ok')
    const world = readWorld() as unknown as {
      nodes: Record<string, { power: string }>
      rgmanager: { services: Record<string, { owner: string }> }
    }
    expect(world.nodes.node2?.power).toBe('off')
    expect(world.rgmanager.services['service:db']?.owner).toBe('node3')
  },
  240_000,
)
