// Issue 16: a SIGKILL at every named crash point, then a restart, ends where a run without it ends.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { decideApproval } from '../../core/act/index.ts'
import { CRASH_POINTS, type CrashPoint } from '../../core/crash-points.ts'
import { openStore } from '../../core/store/index.ts'
import { failNode, fenceOffs, recoverNode } from '../lab/demo-world.ts'
import { readWorld } from '../lab/world.mjs'
import { buildDirectorTable } from '../torture/lab-driver.ts'
import { eventually, type LabSite, query, startLabSite } from './demo-lab.ts'

/** Fence, then relocate: the shortest policy that exercises every durable transition. */
const policy = (guards = '') => `name: crash-failover
on:
  - event: node.down
    node: node2
if: health.quorate
for: 1s
${guards}steps:
  - name: fence the dead node
    uses: fence.fence
    with:
      node: \${{ event.subject }}
    timeout: 60s
  - name: relocate db
    uses: rgmanager.relocate
    with:
      service: db
      from: \${{ event.subject }}
      node: node3
`
const APPROVED = 'guards:\n  approval: required\n'
/** The points an approval passes; the failover and the incident's end pass all the others. */
const APPROVAL_POINTS: CrashPoint[] = ['approval.requested', 'approval.decided', 'approval.resumed']
const FAILOVER_POINTS = CRASH_POINTS.filter((point) => !APPROVAL_POINTS.includes(point))

// The two `timer.due` cases with a daemon restarted blind repeat a point the chain below
// already crashes at, under a stored `down` monitor row: a longer run, opt-in
// (TANDEM_CRASH_TESTS=1 npx vitest run test/e2e/crash-points.test.ts). Every named point is
// crashed at without it.
const crashTests = process.env.TANDEM_CRASH_TESTS === '1'

interface Daemon {
  child: ChildProcess
  log: string[]
  exited: Promise<NodeJS.Signals | null>
}

let site: LabSite
let daemon: Daemon | undefined
let episodes = 0
/** Each daemon's log, in start order: a failed episode shows what every restart did. */
const logs: string[][] = []

beforeAll(async () => {
  site = await startLabSite({
    net: 43,
    smtpPort: 25343,
    webhookPort: 28343,
    timing: 'quick',
    holdDown: '1s',
    policyFiles: { 'crash-failover.yaml': policy() },
  })
  // The director's table as the inventory declares it: a failing IPVS check on the director
  // plus node2's would count as failures on two nodes and hold the monitor blind.
  await buildDirectorTable(site)
  // A first, unarmed daemon without the policy sees the site up: its boot announcements are not
  // a crash's business.
  start({}, { policies: mkdtempSync(join(tmpdir(), 'tandem-no-policies-')) })
  await nodeUp()
  await stop()
}, 240_000)
afterAll(async () => {
  daemon?.child.kill('SIGKILL')
  await site?.close()
})

it('names every crash point, and this file crashes the daemon at each of them', () => {
  expect(CRASH_POINTS).toHaveLength(13)
  expect([...FAILOVER_POINTS, ...APPROVAL_POINTS].sort()).toEqual([...CRASH_POINTS].sort())
})

// One episode per case, each SIGKILL followed at once by a restart armed with the next point of
// its chain: the daemon dies at every point in turn (some while it resumes from the one before)
// and the outcome must still be the one without any crash. Chaining keeps the file to one lab.
it('SIGKILL at every failover and incident point in turn: node2 fenced once, db moved once, after the fence', async () => {
  await episode(FAILOVER_POINTS)
}, 400_000)

it('SIGKILL around an approval (requested, decided, resumed): each approved step runs once', async () => {
  writeFileSync(join(site.policiesDir, 'crash-failover.yaml'), policy(APPROVED))
  await episode(['approval.requested', 'approval.resumed'], { approve: true })
}, 300_000)

// The two cases that lost the failover before (issue 16), each twice in a row: the restarted
// daemon re-fires the `for:` timer, and it starts blind (killed while its monitor was blind:
// the stored monitor row says down). The step is held, never refused for good, and runs once
// the restarted monitor has seen every check.
for (const nth of ['', ', again'])
  it.skipIf(!crashTests)(
    `SIGKILL at timer.due, restart blind${nth}: the failover is held, then done once`,
    async () => {
      writeFileSync(join(site.policiesDir, 'crash-failover.yaml'), policy())
      const held = await episode(['timer.due'], { blindAtRestart: true })
      expect(held, 'the refusal by the blind monitor is audited').toBeGreaterThan(0)
    },
    200_000,
  )

/**
 * node2 fails and is handled under `chain` (a SIGKILL at each point, a restart after each), comes
 * back, its incident resolves and closes, db goes home. Returns how many refusals by a blind
 * monitor the run's audit holds.
 */
async function episode(
  chain: CrashPoint[],
  options: { blindAtRestart?: boolean; approve?: boolean } = {},
): Promise<number> {
  episodes += 1
  const before = fenceOffs('node2').length
  const kills = supervise(chain, options.blindAtRestart ?? false)
  const failedAt = Date.now()
  failNode('node2')
  if (options.approve) await approveAll()
  const run = await eventually(
    async () => {
      const rows = await runs()
      return rows.length >= episodes && rows.at(-1)?.finished_at != null && rows.at(-1)
    },
    150_000,
    `run ${episodes} to end`,
  ).catch(async (error: Error) => {
    const last = (await runs()).at(-1)
    throw new Error(
      `${error.message}; crashed at: ${kills.done.join(', ')}; ${kills.failure}\n${await diagnostics(last ? String(last.id) : undefined)}`,
    )
  })
  // Exactly one run per episode (a replayed event or re-fired timer is the same run), succeeded.
  expect(await runs()).toHaveLength(episodes)
  if (run.status !== 'succeeded') throw new Error(await diagnostics(String(run.id)))
  // Diagnostics: node2 stays down until recoverNode below; a node.up before that is spurious.
  const spurious = await rows(
    `SELECT id, at FROM events WHERE type = 'node.up' AND subject = 'node2' AND at > ${failedAt}`,
  )
  if (spurious.length > 0) console.warn('[crash-points] node.up of a dead node2:', spurious)
  // The lab world: one more fence operation, db on node3, moved after the fence.
  const offs = fenceOffs('node2')
  expect(offs).toHaveLength(before + 1)
  const db = dbService()
  expect(db.owner).toBe('node3')
  expect(db.last_transition * 1000).toBeGreaterThanOrEqual(
    Math.floor(offs.at(-1)!.at / 1000) * 1000,
  )

  recoverNode('node2')
  await eventually(
    async () =>
      (await rows(`SELECT status FROM incidents WHERE id = '${run.incident_id}'`))[0]?.status ===
      'closed',
    60_000,
    `the incident to close (crashed at: ${kills.done.join(', ')})`,
  )
  // The last point's SIGKILL may land just after what it follows is visible in the store.
  await eventually(
    async () => kills.done.length === chain.length || kills.failure !== undefined,
    30_000,
    `a SIGKILL at each of ${chain.join(', ')} (crashed at: ${kills.done.join(', ')})`,
  )
  expect(kills.done).toEqual(chain)
  expect(kills.failure).toBeUndefined()
  // Approvals asked and decided once per destructive step, never twice.
  if (options.approve)
    expect(
      await rows(
        `SELECT a.status FROM approvals a JOIN steps s ON s.id = a.step_id WHERE s.run_id = '${run.id}'`,
      ),
    ).toEqual([{ status: 'approved' }, { status: 'approved' }])
  await promisify(execFile)('clusvcadm', ['-r', 'db', '-m', 'node2'])
  // Lab reset between episodes. A daemon restarted just before this move learns db's new
  // owner while the dead one still holds the cluster-wide rows; it must write it once they
  // are its own (test/health/fact-handover.test.ts), not leave db's row on node3.
  await eventually(
    async () =>
      String(
        (await rows("SELECT detail FROM health_states WHERE target = 'service/db'"))[0]?.detail,
      ).includes('"owner":"node2"'),
    60_000,
    'health to see db on node2',
  ).catch(async (error: Error) => {
    throw new Error(await healthReport(error))
  })
  await stop()
  const blind = await rows(
    `SELECT id FROM audit_log WHERE run_id = '${run.id}' AND guard = 'monitor_blind'`,
  )
  return blind.length
}

/** What health, the leases and the daemon showed when health lagged behind the lab. */
async function healthReport(error: Error): Promise<string> {
  const db = await rows(
    "SELECT state, detail, updated_at FROM health_states WHERE target = 'service/db'",
  )
  const checks = await rows(
    "SELECT target, state, updated_at, detail FROM health_states WHERE kind IN ('check', 'monitor') ORDER BY target",
  )
  const leases = await rows('SELECT * FROM leases')
  return `${error.message} (now ${Date.now()}); db row ${JSON.stringify(db)}; checks ${JSON.stringify(checks)}; leases ${JSON.stringify(leases)}; world db ${JSON.stringify(dbService())}\n${daemon?.log.join('').slice(-6000)}`
}

/**
 * Starts a daemon armed with `chain[0]`; each time it dies by SIGKILL at its point, starts the
 * next one armed with the following point (then unarmed). With `blindAtRestart`, the store's
 * monitor row is set down before each restart, as if the daemon had died while blind.
 */
function supervise(chain: CrashPoint[], blindAtRestart: boolean) {
  const kills = { done: [] as string[], failure: undefined as string | undefined }
  const arm = (i: number) => {
    const point = chain[i]
    const armed = start(point ? { TANDEM_CRASH_AT: point } : {})
    if (!point) return
    const marker = `[crash-points] SIGKILL at ${point}`
    void armed.exited.then(async (signal) => {
      if (daemon !== armed) return
      // The marker may still be on its way through the pipe when the exit is seen.
      for (let n = 0; n < 40 && !armed.log.join('').includes(marker); n++)
        await new Promise((r) => setTimeout(r, 50))
      if (signal === 'SIGKILL' && armed.log.join('').includes(marker)) {
        kills.done.push(point)
        if (blindAtRestart) await monitorDown()
        arm(i + 1)
      } else kills.failure = `daemon exited (${signal}) before ${point}: ${armed.log.join('')}`
    })
  }
  arm(0)
  return kills
}

/**
 * Approves each step that waits for it: the first through `tandem approve` armed to die right
 * after its decision is stored (approval.decided), the others in this process.
 */
async function approveAll() {
  let decided = 0
  const approveOne = async () => {
    const [pending] = await rows("SELECT id FROM approvals WHERE status = 'pending'")
    if (!pending) return false
    const id = String(pending.id)
    if (decided === 0) {
      const cli = await promisify(execFile)(
        process.execPath,
        [
          'bin/tandem.js',
          'approve',
          id,
          '--reason',
          'crash test',
          '--config',
          site.configFile,
          '--store',
          site.storeUrl,
        ],
        { env: { ...process.env, TANDEM_CRASH_AT: 'approval.decided' } },
      ).then(
        () => 'exited normally',
        (error: { signal?: string; stderr?: string }) => `${error.signal} ${error.stderr}`,
      )
      expect(cli).toContain('SIGKILL')
      expect(cli).toContain('[crash-points] SIGKILL at approval.decided')
    } else {
      const store = await openStore(site.storeUrl)
      try {
        await decideApproval(store.db, id, {
          approve: true,
          by: 'crash-test',
          reason: 'crash test',
          now: Date.now(),
        })
      } finally {
        store.close()
      }
    }
    decided += 1
    return decided === 2
  }
  await eventually(approveOne, 90_000, 'two approvals (fence, relocate) to decide')
}

async function runs() {
  return rows(
    "SELECT id, status, incident_id, finished_at FROM runs WHERE policy = 'crash-failover' ORDER BY started_at",
  )
}

async function nodeUp() {
  await eventually(
    async () =>
      (await rows("SELECT state FROM health_states WHERE target = 'node/node2'"))[0]?.state ===
      'up',
    // A first boot at load 22 through tsx (no current dist/) took over a minute.
    120_000,
    'node2 up',
  )
}

async function monitorDown() {
  const now = Date.now()
  await query(
    site,
    `INSERT INTO health_states (target, kind, state, state_type, flapping, since, updated_at)
     VALUES ('monitor', 'monitor', 'down', 'hard', 0, ${now}, ${now})
     ON CONFLICT (target) DO UPDATE SET state = 'down', since = ${now}, updated_at = ${now}`,
  )
}

function dbService() {
  return (
    readWorld() as unknown as {
      rgmanager: { services: Record<string, { owner: string; last_transition: number }> }
    }
  ).rgmanager.services['service:db']!
}

/**
 * What a failed run needs explained: its steps, node2's events (a node.up after the fence makes
 * the relocation refused), the fence state, the node rows, and the tail of every daemon's log.
 */
async function diagnostics(runId: string | undefined): Promise<string> {
  const steps = runId
    ? await rows(
        `SELECT uses, status, blocked_by, started_at, finished_at, error FROM steps WHERE run_id = '${runId}' ORDER BY idx`,
      )
    : []
  const events = await rows(
    "SELECT id, type, at, payload FROM events WHERE subject = 'node2' ORDER BY id",
  )
  const fences = await rows('SELECT node, state, confirmed_at, incident_id FROM fence_states')
  const health = await rows(
    "SELECT target, state, since, updated_at, detail FROM health_states WHERE target LIKE '%node2%' OR target IN ('monitor', 'cluster')",
  )
  const daemons = logs.map((log, i) => `--- daemon ${i + 1}\n${log.join('').slice(-4000)}`)
  const json = (value: unknown) => JSON.stringify(value, null, 1)
  return [
    `run ${runId} did not succeed; steps: ${json(steps)}`,
    `node2 events: ${json(events)}`,
    `fence_states: ${json(fences)}`,
    `health rows: ${json(health)}`,
    ...daemons,
  ].join('\n')
}

/** The site's rows, or none while the (re)starting daemon has not migrated the store yet. */
function rows(sql: string) {
  return query(site, sql).catch(() => [] as Record<string, unknown>[])
}

async function stop() {
  const current = daemon
  if (!current) return
  daemon = undefined
  current.child.kill('SIGTERM')
  await current.exited
}

function start(env: Record<string, string>, options: { policies?: string } = {}): Daemon {
  // Never two daemons on the store at once: a leftover from a failed case is killed first.
  daemon?.child.kill('SIGKILL')
  const log: string[] = []
  logs.push(log)
  const child = spawn(
    process.execPath,
    [
      'bin/tandem.js',
      'run',
      '--config',
      site.configFile,
      '--policies',
      options.policies ?? site.policiesDir,
      '--store',
      site.storeUrl,
      '--listen',
      '127.0.0.1:0',
      // Long enough that a starved CPU does not hand the lease around (a successor waits it out).
      '--lease',
      '3s',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  )
  child.stdout!.on('data', (chunk) => log.push(String(chunk)))
  child.stderr!.on('data', (chunk) => log.push(String(chunk)))
  // 'exit', not 'close': a killed daemon's orphans (a fence agent mid-run) keep its pipes open.
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  )
  daemon = { child, log, exited }
  return daemon
}
