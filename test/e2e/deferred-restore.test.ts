// A real server that fails and recovers twice within the cooldown ends with the weight its last swing calls for (issue 16).
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { setServerHealth } from '../lab/demo-world.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

/** Shorter than the shipped 2m, as test/torture/lab-driver.ts compresses it, longer than a swing pair. */
const COOLDOWN = 'cooldown: 8s'
/** tandem.yaml: `{ node: node2, port: 8080, weight: 5 }` in web's pool. */
const CONFIGURED_WEIGHT = 5
const NODE2 = '127.0.62.2'

const policy = (file: string) =>
  readFileSync(`policies/${file}`, 'utf8').replace('cooldown: 2m', COOLDOWN)

let lab: DemoLab
beforeAll(async () => {
  lab = await startDemoLab({
    net: 62,
    smtpPort: 25362,
    webhookPort: 28362,
    timing: 'quick',
    policyFiles: Object.fromEntries(
      ['real-server-failed.yaml', 'real-server-recovered.yaml'].map((f) => [f, policy(f)]),
    ),
  })
})
afterAll(() => lab?.close())

interface LabWorld {
  ipvs: { tables: Record<string, { services: { port: number; dests: Dest[] }[] }> }
}
interface Dest {
  addr: string
  weight: number
}

/** node2's weight in web's pool as the director holds it (the lab world), not as tandem says. */
function node2Weight(): number | undefined {
  const web = (lab.world() as unknown as LabWorld).ipvs.tables.director?.services.find(
    (s) => s.port === 80,
  )
  return web?.dests.find((d) => d.addr === NODE2)?.weight
}

const swings = async (type: string) =>
  Number(
    (
      await lab.rows(
        `SELECT count(*) AS n FROM events WHERE type = '${type}' AND subject LIKE '%node2%'`,
      )
    )[0]?.n,
  )

/** Sets node2:8080's health and waits for the monitor to announce it (fall 3 / rise 2). */
async function swing(healthy: boolean): Promise<void> {
  const type = healthy ? 'check.recovered' : 'check.failed'
  const seen = await swings(type)
  setServerHealth('node2', 8080, healthy)
  await eventually(async () => (await swings(type)) > seen, 20_000, type)
}

/** No deferred run left and node2's weight is `weight`: nothing more will change it. */
async function quiescent(weight: number, what: string): Promise<void> {
  await eventually(
    async () => {
      const left = await lab.rows("SELECT key FROM policy_timers WHERE key LIKE 'defer|%'")
      return left.length === 0 && node2Weight() === weight
    },
    20_000,
    what,
  )
  await lab.caughtUp()
  expect(node2Weight(), what).toBe(weight)
}

it('restores node2 once its cooldown ends when it is healthy at the end, and drains it when it is failing', async () => {
  await lab.healthy()
  expect(node2Weight()).toBe(CONFIGURED_WEIGHT)

  // Fail, recover, fail, recover: the second restore comes inside the cooldown of the first.
  for (const healthy of [false, true, false, true]) await swing(healthy)
  await quiescent(CONFIGURED_WEIGHT, 'node2 back at its configured weight')
  const deferred = await lab.rows(
    "SELECT action, reason FROM audit_log WHERE decision = 'blocked' AND guard = 'cooldown'",
  )
  expect(deferred.map((r) => r.action)).toContain('real-server-recovered')
  for (const row of deferred) expect(String(row.reason)).toMatch(/deferred until \d{4}-\d\d-\d\dT/)

  // The mirror: it fails again soon after recovering; the drain refused by its cooldown comes later.
  for (const healthy of [false, true, false]) await swing(healthy)
  await quiescent(0, 'node2 drained while failing')
}, 60_000)
