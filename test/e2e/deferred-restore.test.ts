// A real server that fails and recovers twice within the cooldown ends with the weight its last swing calls for (issue 16).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { labDest, setServerHealth } from '../lab/demo-world.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

/**
 * The shipped `cooldown: 2m` of each policy, compressed as test/torture/lab-driver.ts does: a
 * long window (10 s) spans a fail + recover pair of swings, a short one (3 s) does not. Session 7
 * had real-server-failed at 3 s and real-server-recovered at 2 m: the second drain ran, the
 * second restore was refused for good.
 */
const LONG = 'cooldown: 15s'
const SHORT = 'cooldown: 3s'
const FILES = ['real-server-failed.yaml', 'real-server-recovered.yaml']
/** tandem.yaml: `{ node: node2, port: 8080, weight: 5 }` in web's pool. */
const CONFIGURED_WEIGHT = 5
const NODE2 = '127.0.62.2'

/** The two shipped policies with these cooldowns (drain's, restore's). */
const policies = (drain: string, restore: string) =>
  Object.fromEntries(
    FILES.map((f, i) => [
      f,
      readFileSync(`policies/${f}`, 'utf8').replace('cooldown: 2m', i === 0 ? drain : restore),
    ]),
  )

let lab: DemoLab
beforeAll(async () => {
  lab = await startDemoLab({
    net: 62,
    smtpPort: 25362,
    webhookPort: 28362,
    timing: 'quick',
    policyFiles: policies(SHORT, LONG),
  })
})
afterAll(() => lab?.close())

/** node2's weight in web's pool as the director holds it (the lab world), not as tandem says. */
const node2Weight = () => labDest(80, NODE2)?.weight

const swings = async (type: string) =>
  Number(
    (
      await lab.rows(
        `SELECT count(*) AS n FROM events WHERE type = '${type}' AND subject LIKE '%node2%'`,
      )
    )[0]?.n,
  )

/** Sets node2:8080's health, waits for the monitor to announce it (fall 3 / rise 2) and its run. */
async function swing(healthy: boolean): Promise<void> {
  const type = healthy ? 'check.recovered' : 'check.failed'
  const seen = await swings(type)
  setServerHealth('node2', 8080, healthy)
  await eventually(async () => (await swings(type)) > seen, 20_000, type)
  // Its run ends before the next swing: a restore that finds the drain still running waits for
  // it (held by busy_target, test/act/busy-target.test.ts), which this test is not about.
  await lab.caughtUp()
}

/** No deferred run left and node2's weight is `weight`: nothing more will change it. */
async function quiescent(weight: number, what: string): Promise<void> {
  await lab.caughtUp() // every swing handled: what is left to come is a deferred run
  try {
    await eventually(
      async () => {
        const left = await lab.rows("SELECT key FROM policy_timers WHERE key LIKE 'defer|%'")
        return left.length === 0 && node2Weight() === weight
      },
      30_000,
      what,
    )
  } catch (error) {
    // What tandem decided, beside what the director holds, to tell a late run from a lost one.
    const journal = await lab.rows(
      `SELECT r.policy, r.status, r.started_at, a.guard, a.reason FROM runs r
       LEFT JOIN audit_log a ON a.run_id = r.id AND a.decision = 'blocked' ORDER BY r.started_at`,
    )
    const timers = await lab.rows('SELECT key, due_at FROM policy_timers')
    const state = { weight: node2Weight(), journal, timers, now: Date.now() }
    throw new Error(`${(error as Error).message}: ${JSON.stringify(state)}`)
  }
  await lab.caughtUp()
  expect(node2Weight(), what).toBe(weight)
}

/** Rewrites the site's two policies and waits until the daemon has loaded both (hot reload). */
async function reloadPolicies(files: Record<string, string>): Promise<void> {
  const hashes = 'SELECT hash FROM policy_states ORDER BY file'
  const before = (await lab.rows(hashes)).map((r) => r.hash)
  for (const [file, text] of Object.entries(files))
    writeFileSync(join(lab.dir, 'policies', file), text)
  await eventually(
    async () => (await lab.rows(hashes)).every((r, i) => r.hash !== before[i]),
    10_000,
    'the daemon to load the rewritten policies',
  )
}

it('restores node2 once its cooldown ends when it is healthy at the end, and drains it when it is failing', async () => {
  await lab.healthy()
  expect(node2Weight()).toBe(CONFIGURED_WEIGHT)

  // Fail, recover, fail, recover: the second drain is allowed, the second restore comes inside
  // the cooldown of the first (session 7's violation: node2 healthy at weight 0 for good).
  for (const healthy of [false, true, false, true]) await swing(healthy)
  await quiescent(CONFIGURED_WEIGHT, 'node2 back at its configured weight')
  const deferred = await lab.rows(
    "SELECT action, reason FROM audit_log WHERE decision = 'blocked' AND guard = 'cooldown'",
  )
  expect(deferred.map((r) => r.action)).toContain('real-server-recovered')
  for (const row of deferred) expect(String(row.reason)).toMatch(/deferred until \d{4}-\d\d-\d\dT/)

  // The mirror: the drain's window is the long one; node2 fails again soon after recovering,
  // and the drain its cooldown refused comes when the window ends.
  await reloadPolicies(policies(LONG, SHORT))
  for (const healthy of [false, true, false]) await swing(healthy)
  await quiescent(0, 'node2 drained while failing')
}, 120_000)
