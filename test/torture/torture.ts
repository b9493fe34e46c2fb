// Runs the torture property: seeded command sequences against a fresh lab and real daemons, then quiescence.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { type Config, loadConfig } from '../../core/inventory/index.ts'
import { heal, recoverNode, setFenceBehaviour } from '../lab/demo-world.ts'
import { readWorld } from '../lab/world.mjs'
import { tortureCommands } from './commands.ts'
import {
  clusterNodes,
  continuousChecks,
  type Evidence,
  quiescentChecks,
  type StepRow,
  type Violation,
} from './invariants.ts'
import { startTortureLab, type TortureLab } from './lab-driver.ts'
import { initialModel, type TortureReal, type TortureStats } from './model.ts'
import { historyOf } from './world-history.ts'

/**
 * Quiescence lasts at least this long after healing: a node seen down just before (fall 3 × 1 s,
 * `for:` 3 s) could still start a run that must be judged too.
 */
const CALM_MS = 10_000

/** Work tandem still has: runs not ended, `for:` timers pending, events the leader has not handled. */
const BUSY = `SELECT (SELECT count(*) FROM runs WHERE status IN ('queued', 'planned', 'running'))
  + (SELECT count(*) FROM policy_timers)
  + (SELECT count(*) FROM events WHERE id > coalesce((SELECT max(position) FROM cursors WHERE name LIKE 'events:%'), 0)) AS n`

export interface TortureOptions {
  /** Loopback net of the site (the torture test's own: 45–49). */
  net: number
  instances: 1 | 2
  /** Property runs (each a fresh lab); steps per run at most. */
  runs: number
  steps: number
  seed?: number
  path?: string
  /** How long to shrink a failing sequence (each attempt is a fresh lab); 0: report it as found. */
  shrinkMs: number
  /** How long quiescence may take before its checks judge the world as it is. */
  quiesceMs: number
  /** Invariants whose violations do not end the sequence (reported at quiescence). */
  lenient?: string[]
  /** Kinds of step to leave out (their names as printed, e.g. `execDrainRestore`). */
  skip?: string[]
  log?: (line: string) => void
}

export interface TortureResult {
  stats: TortureStats
  /** fast-check's report: seed, path, shrunk counterexample; undefined when every run held. */
  failure?: string
  violations: Violation[]
}

/** Runs the property and returns the counts and, on failure, the replayable report. */
export async function runTorture(options: TortureOptions): Promise<TortureResult> {
  const stats: TortureStats = { steps: 0, episodes: 0, crashes: 0, checks: 0, violations: 0 }
  let last: Violation[] = []
  let firstFailureAt: number | undefined
  const property = fc.asyncProperty(
    tortureCommands(['node1', 'node2', 'node3'], options.instances, {
      steps: options.steps,
      skip: options.skip,
    }),
    async (commands) => {
      // Past the shrink budget, candidates are skipped (not run): the smallest failure found stands.
      if (firstFailureAt !== undefined) fc.pre(Date.now() - firstFailureAt < options.shrinkMs)
      const started = Date.now()
      const lab = await startTortureLab(options.net, options.instances)
      options.log?.(
        `[torture] lab and ${options.instances} daemon(s) up in ${Date.now() - started} ms`,
      )
      const config = await loadConfig(lab.site.configFile)
      const real = createReal(lab, config, stats, options.log, options.lenient)
      try {
        const nodes = clusterNodes(config)
        await fc.asyncModelRun(
          () => ({ model: initialModel(nodes, options.instances), real }),
          commands,
        )
        await quiesce(real, options.quiesceMs, options.log)
      } catch (error) {
        firstFailureAt ??= Date.now()
        if (real.violations.length > 0) last = real.violations
        throw error
      } finally {
        stats.crashes += lab.crashes
        stats.episodes += clusterNodes(config).reduce(
          (n, node) => n + historyOf(readWorld()).episodes(node).length,
          0,
        )
        await lab.close()
      }
    },
  )
  const details = await fc.check(property, {
    numRuns: options.runs,
    endOnFailure: options.shrinkMs <= 0,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.path ? { path: options.path } : {}),
  })
  stats.violations = last.length
  if (!details.failed) return { stats, violations: [] }
  const report = fc.defaultReportMessage(details) ?? 'failed'
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : ''
  return { stats, violations: last, failure: `${report}\n${error}\n${replayHint(details)}` }
}

/** The environment that replays this failure exactly (seed, path, shrunk command list). */
function replayHint(details: { seed: number; counterexamplePath: string | null }): string {
  return `replay: TORTURE_SEED=${details.seed} TORTURE_PATH=${details.counterexamplePath ?? ''} (same TORTURE_STEPS)`
}

function createReal(
  lab: TortureLab,
  config: Config,
  stats: TortureStats,
  log?: (line: string) => void,
  lenient?: string[],
): TortureReal {
  const real: TortureReal = {
    log: (line) => log?.(`${new Date().toISOString().slice(11, 23)} ${line}`),
    lab,
    config,
    stats,
    ran: [],
    violations: [],
    async check() {
      const found = continuousChecks(config, await gather(lab))
      stats.checks += 1
      record(real, found)
      // Invariants named in `lenient` are counted and reported at the end, not where found.
      if (real.violations.some((v) => !lenient?.includes(v.invariant)))
        throw new Error(describe(real))
    },
  }
  return real
}

/**
 * Heals everything the steps broke, waits for tandem to finish, then judges the end state.
 * The wait ends early once the world matches and no incident is open; past `ms` the checks
 * judge whatever state there is.
 */
async function quiesce(real: TortureReal, ms: number, log?: (line: string) => void) {
  const { lab, config } = real
  for (const slot of lab.daemons) lab.thaw(slot.index)
  heal()
  for (const node of clusterNodes(config)) setFenceBehaviour(config, node, 'ok')
  bootDownNodes()
  // An armed daemon that never reached its crash point is restarted unarmed: quiescence is calm.
  for (const slot of lab.daemons) if (slot.armed) await lab.restart(slot.index)
  await lab.allServing()
  const healedAt = Date.now()
  let found: Violation[] = []
  for (;;) {
    // A run decided before the heal may still fence a node: the operator boots it again.
    bootDownNodes()
    const [busy] = await lab.sql(BUSY)
    found = quiescentChecks(config, await gather(lab))
    const calm = Date.now() - healedAt >= CALM_MS && Number(busy?.n) === 0
    if (found.length === 0 && calm) break
    if (Date.now() - healedAt > ms) break
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
  log?.(`[torture] quiescent after ${Date.now() - healedAt} ms, ${found.length} violation(s)`)
  if (found.length > 0) {
    // What tandem did about it: the lab (and its store) is gone once the sequence ends.
    const runs = await lab.sql(
      `SELECT r.policy, r.status, group_concat(s.uses || ':' || s.status || coalesce('/' || s.blocked_by, ''), ' ') AS steps
       FROM runs r LEFT JOIN steps s ON s.run_id = r.id GROUP BY r.id ORDER BY r.started_at`,
    )
    for (const r of runs) log?.(`[torture]   run ${r.policy} ${r.status}: ${r.steps ?? ''}`)
    keepEvidence(lab)
    for (const slot of lab.daemons) {
      const lines = slot
        .output()
        .split('\n')
        .filter((l) => /\[(act|runtime)\]/.test(l))
      for (const line of lines.slice(-25))
        log?.(`[torture]   daemon ${slot.index}: ${line.slice(0, 300)}`)
    }
  }
  real.stats.checks += 1
  record(real, found)
  if (real.violations.length > 0) throw new Error(describe(real))
}

/** With TORTURE_KEEP=<dir>: a copy of the store, the world and every daemon's output, to read later. */
function keepEvidence(lab: TortureLab) {
  const dir = process.env.TORTURE_KEEP
  if (!dir) return
  mkdirSync(dir, { recursive: true })
  const store = lab.site.storeUrl.slice('file:'.length)
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(store + suffix)) copyFileSync(store + suffix, join(dir, `tandem.db${suffix}`))
  writeFileSync(join(dir, 'world.json'), JSON.stringify(readWorld(), null, 1))
  for (const slot of lab.daemons)
    writeFileSync(join(dir, `daemon-${slot.index}.log`), slot.output())
}

function bootDownNodes() {
  for (const [name, n] of Object.entries(readWorld().nodes))
    if (n.up === false || n.power !== 'on') recoverNode(name)
}

/** Reads the evidence the invariants judge: world, journal, inbox, blind intervals. */
async function gather(lab: TortureLab): Promise<Evidence> {
  const steps = await lab.sql(
    'SELECT id, uses, status, input, started_at, finished_at FROM steps ORDER BY started_at',
  )
  const handled = await lab.sql(
    "SELECT i.key AS key, r.started_at AS at FROM runs r JOIN incidents i ON i.id = r.incident_id WHERE i.key LIKE 'node.down:%' UNION ALL SELECT target, at FROM audit_log WHERE target LIKE 'node.down:%'",
  )
  const open = await lab.sql("SELECT key, opened_at FROM incidents WHERE status = 'open'")
  const handledAt: Record<string, number[]> = {}
  for (const row of handled) {
    const node = String(row.key).slice('node.down:'.length)
    handledAt[node] = [...(handledAt[node] ?? []), Number(row.at)]
  }
  return {
    world: readWorld(),
    steps: steps.map(
      (s): StepRow => ({
        id: String(s.id),
        uses: String(s.uses),
        status: String(s.status),
        input: JSON.parse(String(s.input)) as Record<string, unknown>,
        startedAt: s.started_at === null ? null : Number(s.started_at),
        finishedAt: s.finished_at === null ? null : Number(s.finished_at),
      }),
    ),
    handledAt,
    openIncidents: open.map((o) => ({ key: String(o.key), openedAt: Number(o.opened_at) })),
    deliveries: await lab.site.inbox.deliveries(),
    blind: lab.blind,
    deaths: lab.deaths,
  }
}

/** Adds violations not already known (the checks re-read the whole history every time). */
function record(real: TortureReal, found: Violation[]) {
  for (const v of found)
    if (!real.violations.some((k) => k.invariant === v.invariant && k.detail === v.detail)) {
      real.violations.push(v)
      // Logged when found: a later harness error (a timeout at quiescence) must not hide them.
      real.log(`[torture] violation [${v.invariant}] ${v.detail}`)
    }
}

function describe(real: TortureReal): string {
  const lines = real.violations.map((v) => `  [${v.invariant}] ${v.detail}`)
  return `${real.violations.length} invariant violation(s):\n${lines.join('\n')}\nsteps run: ${real.ran.join(', ')}`
}
