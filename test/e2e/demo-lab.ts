// The demo, started the way `npm start` starts it, on a private copy: lab world, node ports, inbox, daemon.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { desc, eq } from 'drizzle-orm'
import { createApiToken, type Scope } from '../../core/api/index.ts'
import { loadConfig } from '../../core/inventory/index.ts'
import { type Daemon, startDaemon } from '../../core/runtime/index.ts'
import { runs, steps } from '../../core/store/index.ts'
import { resetWorld } from '../lab/demo-world.ts'
import { type Inbox, startInbox } from '../lab/inbox.ts'
import { type NodeServers, startNodeServers } from '../lab/node-servers.ts'
import { readWorld } from '../lab/world.mjs'

export interface DemoLab {
  dir: string
  daemon: Daemon
  inbox: Inbox
  servers: NodeServers
  /** Steps of the newest run of `policy`, in journal order. */
  steps(policy: string): Promise<(typeof steps.$inferSelect)[]>
  runStatus(policy: string): Promise<string | undefined>
  world: typeof readWorld
  /** Waits until the daemon's health view has `count` targets up (rise thresholds met). */
  healthy(count?: number): Promise<void>
  /** Waits until the leader has handled every event stored so far and the runs it started ended. */
  caughtUp(): Promise<void>
  /** Waits for the newest run of `policy` to end; returns its status. */
  finished(policy: string, ms?: number): Promise<string>
  /** `POST /api/v1/actions` over real HTTP with a fresh token of `scopes`; returns the answer. */
  requestAction(body: Record<string, unknown>, scopes: Scope[]): Promise<Response>
  /** Rows of a journal table (`runs`, `steps`, `audit_log`, `fence_states`, `events`, `outbox`). */
  rows(sql: string): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

const WEBHOOK_SECRET = 'whsec_ZGVtby13ZWJob29rLXNlY3JldA=='

/** The leader's position in the events table (core/runtime/instance.ts: EVENTS_CURSOR). */
const HANDLED_EVENTS = "SELECT position FROM cursors WHERE name = 'events:remediation'"

/** Where a lab site lives: its own loopback net and ports, and how long it waits (default demo). */
export interface LabSiteOptions {
  net: number
  smtpPort: number
  webhookPort: number
  timing?: LabTiming
  /** `daemon.incident_hold_down` (shipped default 5m), e.g. `2s` to watch incidents close. */
  holdDown?: string
  /** `daemon.public_url`: notices then link to the incident (`<url>/incidents/<id>`). */
  publicUrl?: string
  /** Run only these policy files (name → YAML) instead of policies/. */
  policyFiles?: Record<string, string>
  /**
   * Keep the demo's storage checks (storage.exports, storage.mounts). Off by default: each costs
   * an ssh and a tool process per node every interval, which the scenarios that do not look at
   * storage do not need on a shared 2-core machine.
   */
  storage?: boolean
}

/**
 * How long the site's probes and policies take. `demo` is tandem.yaml and policies/ as shipped
 * (2 s probes, node-down-failover's `for: 20s`, a 10 s fence retry back-off): the values
 * `npm start` and `npm run bench:e2e` show. `quick` shortens exactly those durations (QUICK) for
 * the scenarios that do not test them, so the suite spends its time on behaviour, not on waiting.
 */
export type LabTiming = 'demo' | 'quick'

/** The durations a `quick` site runs with, for tests that derive their waits from them. */
export const QUICK = {
  /**
   * The network checks' interval (shipped: 2 s; tcp and http); rise 2 and fall 3 are kept. The
   * tool probes (clustat, ipvsadm, xl) keep theirs: each of their runs starts a lab process, and
   * those processes were most of the lab's CPU on a loaded 2-core machine.
   */
  intervalMs: 1_000,
  /**
   * node-down-failover's `for:` (shipped: 20 s), guest-down-restart's and
   * service-stopped-start's (shipped: 30 s).
   */
  forMs: 3_000,
  /** The fence step's retry back-off (shipped: 10 s); the retry count is kept. */
  backoffMs: 1_000,
} as const

/** The lab without tandem: a private config, the world file, node listeners and the inbox. */
export interface LabSite {
  dir: string
  configFile: string
  /** The policies the site runs: policies/ itself, or a quick copy of it in `dir`. */
  policiesDir: string
  storeUrl: string
  inbox: Inbox
  servers: NodeServers
  close(): Promise<void>
}

/**
 * Prepares the demo site on its own loopback addresses (`127.0.<net>.x`) and ports, so several
 * test files can run at once and a developer's `npm start` does not collide with them. The
 * lab's env (PATH to the simulators, world file, demo secrets) is set on process.env, so child
 * processes started afterwards inherit it.
 */
export async function startLabSite(options: LabSiteOptions): Promise<LabSite> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-e2e-'))
  const quick = options.timing === 'quick'
  let text = readFileSync('tandem.yaml', 'utf8')
    .replaceAll('127.0.1.', `127.0.${options.net}.`)
    .replace('port: 2525', `port: ${options.smtpPort}`)
    .replace('127.0.0.1:8089', `127.0.0.1:${options.webhookPort}`)
    .replace('listen: 127.0.0.1:8080', 'listen: 127.0.0.1:0')
  if (quick) text = quickNetworkChecks(text)
  if (options.holdDown)
    text = shorten(
      text,
      'tandem.yaml',
      'daemon:\n',
      `daemon:\n  incident_hold_down: ${options.holdDown}\n`,
    )
  if (options.publicUrl)
    text = shorten(
      text,
      'tandem.yaml',
      'daemon:\n',
      `daemon:\n  public_url: ${options.publicUrl}\n`,
    )
  const removed = options.storage ? [] : storageCheckNames(text)
  if (!options.storage) text = withoutStorageChecks(text)
  const configFile = join(dir, 'tandem.yaml')
  writeFileSync(configFile, text)
  // Without the storage checks, the policies triggered by them go too: left in, they are a
  // config error (`tandem check` refuses them; the daemon logs them as not loaded).
  const policiesDir = options.policyFiles
    ? ownPolicies(dir, options.policyFiles)
    : quick || removed.length > 0
      ? copiedPolicies(dir, { quick, without: removed })
      : resolve('policies')
  process.env.PATH = `${resolve('test/lab/bin')}${delimiter}${process.env.PATH ?? ''}`
  process.env.TANDEM_LAB_WORLD = join(dir, 'world.json')
  process.env.TANDEM_DEMO_IPMI_PASSWORD = 'demo-ipmi-password'
  process.env.TANDEM_DEMO_WEBHOOK_SECRET = WEBHOOK_SECRET
  const config = await loadConfig(configFile)
  resetWorld(config)
  const servers = await startNodeServers(config, { pollMs: 100 })
  const inbox = await startInbox({
    file: join(dir, 'inbox.jsonl'),
    smtpPort: options.smtpPort,
    webhookPort: options.webhookPort,
    webhookSecret: WEBHOOK_SECRET,
  })
  return {
    dir,
    configFile,
    policiesDir,
    storeUrl: `file:${join(dir, 'tandem.db')}`,
    inbox,
    servers,
    async close() {
      await Promise.all([servers.close(), inbox.close()])
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Starts the demo on a private lab site (startLabSite) with one in-process daemon. */
export async function startDemoLab(options: LabSiteOptions): Promise<DemoLab> {
  const site = await startLabSite(options)
  const { dir, inbox, servers } = site
  const daemon = await startDaemon({
    configFile: site.configFile,
    policiesDir: site.policiesDir,
    storeUrl: site.storeUrl,
    log: silentLog(),
  })
  await daemon.instance.ready(30_000) // quorum known: destructive steps are allowed
  await daemon.instance.lead() // only the leader acts
  await daemon.instance.executor.runManual('lvs.reconcile', {}, { actor: 'demo' })
  const db = daemon.instance.store.db
  const newestRun = async (policy: string) =>
    (
      await db
        .select()
        .from(runs)
        .where(eq(runs.policy, policy))
        .orderBy(desc(runs.startedAt))
        .limit(1)
    )[0]
  return {
    dir,
    daemon,
    inbox,
    servers,
    async steps(policy) {
      const run = await newestRun(policy)
      return run
        ? db.select().from(steps).where(eq(steps.runId, run.id)).orderBy(steps.index, steps.id)
        : []
    },
    runStatus: async (policy) => (await newestRun(policy))?.status,
    world: readWorld,
    async healthy(count = 5) {
      // Up targets, and a monitor that does not suspect itself: a loaded test machine can make
      // probes time out for a moment, and tandem then rightly refuses every destructive step.
      await eventually(
        async () => {
          const [row] = (
            await daemon.instance.store.client.execute(
              `SELECT (SELECT count(*) FROM health_states WHERE state = 'up'),
                      (SELECT count(*) FROM health_states WHERE target = 'monitor' AND state = 'down')`,
            )
          ).rows
          return Number(row?.[0] ?? 0) > count && Number(row?.[1] ?? 0) === 0
        },
        30_000,
        'a healthy fleet',
      )
    },
    async caughtUp() {
      const number = async (sql: string) =>
        Number((await daemon.instance.store.client.execute(sql)).rows[0]?.[0] ?? 0)
      const last = await number('SELECT max(id) FROM events')
      await eventually(
        async () => (await number(HANDLED_EVENTS)) >= last,
        30_000,
        'the leader to handle every event',
      )
      await daemon.instance.settle()
    },
    finished(policy, ms = 90_000) {
      return eventually(
        async () => {
          const s = (await newestRun(policy))?.status
          return s && !['running', 'queued'].includes(s) ? s : undefined
        },
        ms,
        `the ${policy} run to finish`,
      )
    },
    async requestAction(body, scopes) {
      const { token } = await createApiToken(daemon.instance.store, { name: 'e2e', scopes })
      return fetch(new URL('api/v1/actions', daemon.url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}`,
        },
        body: JSON.stringify(body),
      })
    },
    async rows(sql) {
      const result = await daemon.instance.store.client.execute(sql)
      return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])))
    },
    async close() {
      await daemon.stop()
      await site.close()
    },
  }
}

/** Polls `check` until it returns a value (not undefined/false) or `ms` pass. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/**
 * Copies policies/ into `dir`: with QUICK's `for:` and fence back-off when `quick`, and without
 * the files triggered by a check named in `without`.
 */
function copiedPolicies(dir: string, options: { quick: boolean; without: string[] }): string {
  const target = join(dir, 'policies')
  mkdirSync(target)
  for (const file of readdirSync('policies')) {
    let text = readFileSync(join('policies', file), 'utf8')
    if (options.without.some((check) => new RegExp(`^\\s*check: ${check}\\s*$`, 'm').test(text)))
      continue
    if (!options.quick) {
      writeFileSync(join(target, file), text)
      continue
    }
    if (file === 'node-down-failover.yaml') {
      text = shorten(text, file, 'for: 20s', `for: ${QUICK.forMs}ms`)
      text = shorten(text, file, 'backoff: 10s', `backoff: ${QUICK.backoffMs}ms`)
    }
    if (file === 'guest-down-restart.yaml' || file === 'service-stopped-start.yaml')
      text = shorten(text, file, 'for: 30s', `for: ${QUICK.forMs}ms`)
    writeFileSync(join(target, file), text)
  }
  return target
}

/** A policies directory holding exactly `files`. */
function ownPolicies(dir: string, files: Record<string, string>): string {
  const target = join(dir, 'policies')
  mkdirSync(target)
  for (const [file, text] of Object.entries(files)) writeFileSync(join(target, file), text)
  return target
}

/** The names of tandem.yaml's storage checks (`{ name: exports, kind: storage.exports, … }`). */
function storageCheckNames(text: string): string[] {
  return [...text.matchAll(/name: ([\w.-]+), kind: storage\.(exports|mounts)\b/g)].map((m) => m[1]!)
}

/** tandem.yaml without its storage checks (their comment lines stay: YAML ignores them). */
function withoutStorageChecks(text: string): string {
  const kept = text.split('\n').filter((line) => !/kind: storage\.(exports|mounts)\b/.test(line))
  if (kept.length === text.split('\n').length)
    throw new Error('[e2e] tandem.yaml has no storage checks any more: update withoutStorageChecks')
  return kept.join('\n')
}

/** tandem.yaml with QUICK's interval for its network checks (the 2 s ones with a 1 s timeout). */
function quickNetworkChecks(text: string): string {
  const network = /interval: 2s(,\s*|\n\s*)timeout: 1s/g
  if ((text.match(network) ?? []).length < 3)
    throw new Error('[e2e] tandem.yaml has fewer network checks than it did: update QUICK')
  return text.replace(network, `interval: ${QUICK.intervalMs}ms$1timeout: 1s`)
}

/** Replaces every `from`; a shipped file that no longer has it fails loudly, not slowly. */
function shorten(text: string, file: string, from: string, to: string): string {
  if (!text.includes(from))
    throw new Error(`[e2e] ${file} no longer says "${from}": update QUICK in test/e2e/demo-lab.ts`)
  return text.replaceAll(from, to)
}

function silentLog() {
  const noop = () => {}
  return { debug: noop, info: noop, warn: noop, error: noop }
}

/** A `tandem run` child process on the lab site, with what it printed so far. */
export interface DaemonProcess {
  child: import('node:child_process').ChildProcess
  output(): string
  /** The signal that ended it (SIGKILL at a crash point), or null on a plain exit. */
  exited: Promise<NodeJS.Signals | null>
}

/** The argv of `tandem run` on the lab site (any free port), after the node binary. */
export function runArgv(site: LabSite, args: string[] = []): string[] {
  const { configFile, policiesDir, storeUrl } = site
  const files = ['--config', configFile, '--policies', policiesDir, '--store', storeUrl]
  return ['bin/tandem.js', 'run', ...files, '--listen', '127.0.0.1:0', ...args]
}

/** Starts one daemon process on the site (extra `env`, e.g. TANDEM_CRASH_AT); does not wait. */
export function spawnDaemon(
  site: LabSite,
  options: { args?: string[]; env?: Record<string, string> } = {},
): DaemonProcess {
  const log: string[] = []
  const child = spawn(process.execPath, runArgv(site, options.args), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  })
  child.stdout!.on('data', (chunk) => log.push(String(chunk)))
  child.stderr!.on('data', (chunk) => log.push(String(chunk)))
  // 'exit', not 'close': a killed daemon's orphans (a fence agent mid-run) keep its pipes open.
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  )
  return { child, output: () => log.join(''), exited }
}

/** Resolves with the daemon's URL once it serves. */
export function serving(daemon: DaemonProcess): Promise<string> {
  return eventually(
    async () => /tandem is running: (http:\S+)/.exec(daemon.output())?.[1],
    60_000,
    'the daemon to serve',
  )
}

/** Starts `count` daemon processes on the site's one database file; resolves once all serve. */
export async function spawnDaemons(
  site: LabSite,
  count: number,
  args: string[] = [],
): Promise<DaemonProcess[]> {
  const daemons = Array.from({ length: count }, () => spawnDaemon(site, { args }))
  await Promise.all(daemons.map(serving))
  return daemons
}

/**
 * SIGSTOPs a daemon at a moment it does not hold SQLite's write lock. A process frozen inside a
 * write transaction stalls every instance on the file until it resumes (one writer per file;
 * see docs/scale.md), and no takeover can happen then: that is a stall, not a frozen leader.
 */
export async function freezeOutsideWriteLock(
  child: import('node:child_process').ChildProcess,
  storeUrl: string,
): Promise<void> {
  const { createClient } = await import('@libsql/client')
  for (let tries = 1; ; tries++) {
    child.kill('SIGSTOP')
    const client = createClient({ url: storeUrl })
    try {
      await client.execute('PRAGMA busy_timeout=0')
      await (await client.transaction('write')).rollback()
      return
    } catch (error) {
      if (tries >= 100) throw error
      child.kill('SIGCONT')
      await new Promise((resolve) => setTimeout(resolve, 20))
    } finally {
      client.close()
    }
  }
}

/** One query on the site's database from a separate connection (as an operator would look). */
export async function query(site: LabSite, sql: string): Promise<Record<string, unknown>[]> {
  const { createClient } = await import('@libsql/client')
  const client = createClient({ url: site.storeUrl })
  try {
    return (await client.execute(sql)).rows as unknown as Record<string, unknown>[]
  } finally {
    client.close()
  }
}

/** Waits for a quorum verdict, then builds the director's IPVS table from the inventory. */
export async function reconcileLvs(site: LabSite): Promise<void> {
  const { execFile } = await import('node:child_process')
  const { promisify } = await import('node:util')
  const verdict = async () => {
    const rows = await query(
      site,
      "SELECT target, state FROM health_states WHERE target IN ('cluster', 'monitor')",
    )
    const state = (target: string) => rows.find((r) => r.target === target)?.state
    return state('cluster') === 'up' && state('monitor') !== 'down'
  }
  await eventually(verdict, 60_000, 'a quorum verdict and a monitor that sees')
  // Refused (exit 3) while the monitor suspects itself for a moment on a loaded machine: again
  // once it sees, as an operator would.
  await eventually(
    async () => {
      try {
        await promisify(execFile)(process.execPath, [
          'bin/tandem.js',
          'exec',
          'lvs.reconcile',
          '--config',
          site.configFile,
          '--store',
          site.storeUrl,
        ])
        return true
      } catch (error) {
        if ((error as { code?: number }).code !== 3) throw error
        await eventually(verdict, 60_000, 'the monitor to see again')
        return false
      }
    },
    120_000,
    'lvs.reconcile to run',
  )
}
