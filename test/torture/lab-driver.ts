// The torture test's hands on the real thing: a lab site, supervised `tandem run` processes, the CLI and the API.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createClient } from '@libsql/client'
import { loadConfig } from '../../core/inventory/index.ts'
import {
  eventually,
  freezeOutsideWriteLock,
  type LabSite,
  runArgv,
  startLabSite,
} from '../e2e/demo-lab.ts'

const run = promisify(execFile)

/** The lease the torture daemons hold: short, so a frozen leader is replaced within seconds. */
export const LEASE_MS = 2_000
/** After a daemon (re)starts or thaws, how long until it has probed the world afresh. */
const SETTLE_MS = 6_000

/**
 * Durations the torture site compresses beyond `quick` (file, from, to), so an episode (fail,
 * fence, recover, hold-down) takes seconds and hundreds of steps fit in minutes. Guards keep
 * their meaning; only their windows shrink.
 */
const COMPRESSED: [string, string, string][] = [
  ['node-down-failover.yaml', 'timeout: 90s', 'timeout: 6s'],
  ['node-down-failover.yaml', 'cooldown: 15m', 'cooldown: 4s'],
  [
    'node-down-failover.yaml',
    'max_runs: { count: 3, window: 1h }',
    'max_runs: { count: 3, window: 30s }',
  ],
  [
    'node-down-failover.yaml',
    'max_fences: { count: 1, window: 30m }',
    'max_fences: { count: 1, window: 4s }',
  ],
  // A guest or service restarted once in a sequence must be restartable again minutes later (a
  // node that fails twice): the shipped 10 min cooldown would hold it past quiescence.
  ...(['guest-down-restart.yaml', 'service-stopped-start.yaml'].flatMap((file) => [
    [file, 'cooldown: 10m', 'cooldown: 4s'],
    [file, 'max_runs: { count: 3, window: 1h }', 'max_runs: { count: 3, window: 30s }'],
  ]) as [string, string, string][]),
  ['real-server-failed.yaml', 'cooldown: 2m', 'cooldown: 3s'],
  [
    'real-server-failed.yaml',
    'max_runs: { count: 10, window: 1h }',
    'max_runs: { count: 10, window: 60s }',
  ],
]

/** One supervised daemon: restarted (like systemd's Restart=always) whenever it dies. */
export interface DaemonSlot {
  readonly index: number
  child?: ChildProcess
  url?: string
  frozen: boolean
  /** The crash point this process was started with (it dies there; its successor is unarmed). */
  armed?: string
  output(): string
}

export interface TortureLab {
  site: LabSite
  daemons: DaemonSlot[]
  /** Daemon deaths seen (SIGKILLs, crash points), and restarts made. */
  crashes: number
  /** Intervals in which tandem could not see or act (a daemon dead, frozen, or cut off). */
  blind: [number, number][]
  /** When each daemon death was seen (the notice-once check allows one resend per death). */
  deaths: number[]
  /** Starts (or restarts) daemon `i`, optionally armed to kill itself at a crash point. */
  restart(i: number, crashAt?: string): Promise<void>
  kill(i: number): void
  freeze(i: number): Promise<void>
  thaw(i: number): void
  /** The slot that holds the leader lease now (by its last log line), if any. */
  leader(): DaemonSlot | undefined
  /** `tandem exec …` as an operator types it; exit code and what it printed. */
  exec(args: string[]): Promise<{ code: number; out: string }>
  /** `POST /api/v1/actions` with an operate+fence token, against any live daemon. */
  request(body: Record<string, unknown>): Promise<number>
  sql(text: string): Promise<Record<string, unknown>[]>
  /** Every daemon alive and thawed, serving. */
  allServing(): Promise<void>
  close(): Promise<void>
}

/** Starts the lab site on `net` and `instances` supervised daemons on one store. */
export async function startTortureLab(net: number, instances: 1 | 2): Promise<TortureLab> {
  const site = await startLabSite({
    net,
    smtpPort: 25300 + net,
    webhookPort: 28300 + net,
    timing: 'quick',
  })
  compressPolicies(site.policiesDir)
  shortenHoldDown(site.configFile)
  await buildDirectorTable(site)
  const client = createClient({ url: site.storeUrl })
  let closing = false
  let token = ''
  type Slot = DaemonSlot & { log: string[]; exited?: Promise<void>; blindSince?: number }
  const slots: Slot[] = []
  const lab: TortureLab = {
    site,
    daemons: slots,
    crashes: 0,
    blind: [],
    deaths: [],
    async restart(i, crashAt) {
      const slot = slots[i] ?? newSlot(i)
      slots[i] = slot
      const old = slot.child
      if (old && old.exitCode === null && old.signalCode === null) {
        // Detached first, so the supervisor does not also restart it.
        slot.child = undefined
        slot.blindSince ??= Date.now()
        old.kill('SIGCONT')
        old.kill('SIGKILL')
        lab.crashes += 1
        await slot.exited
        lab.deaths.push(Date.now())
      }
      await spawnDaemon(slot, crashAt)
    },
    kill(i) {
      const child = slots[i]?.child
      child?.kill('SIGCONT')
      child?.kill('SIGKILL')
    },
    async freeze(i) {
      const slot = slots[i]
      if (slot?.child) await freezeOutsideWriteLock(slot.child, site.storeUrl)
      if (slot) {
        slot.frozen = true
        slot.blindSince = Date.now()
      }
    },
    thaw(i) {
      const slot = slots[i]
      slot?.child?.kill('SIGCONT')
      if (slot?.frozen) {
        slot.frozen = false
        lab.blind.push([slot.blindSince ?? Date.now(), Date.now() + SETTLE_MS])
      }
    },
    leader() {
      let best: DaemonSlot | undefined
      let at = -1
      for (const slot of slots) {
        const out = slot.output()
        const lead = out.lastIndexOf('[runtime] leading')
        if (lead > out.lastIndexOf('[runtime] lost leadership') && lead > at) {
          best = slot
          at = lead
        }
      }
      return best
    },
    async exec(args) {
      const argv = ['bin/tandem.js', 'exec', ...args, '--config', site.configFile]
      try {
        const { stdout } = await run(process.execPath, [...argv, '--store', site.storeUrl], {
          timeout: 60_000,
        })
        return { code: 0, out: stdout }
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string }
        return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout}${e.stderr}` }
      }
    },
    async request(body) {
      const slot = slots.find((s) => s.url && !s.frozen && s.child?.exitCode === null)
      // Read before any await: the daemon may die meanwhile (the supervisor then clears slot.url).
      const url = slot?.url
      if (!url) return 0
      token ||= await createToken(site)
      const answer = await fetch(new URL('api/v1/actions', url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': `torture-${Date.now()}-${Math.random().toString(36).slice(2)}`,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined)
      return answer?.status ?? 0
    },
    async sql(text) {
      const result = await client.execute(text)
      return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])))
    },
    async allServing() {
      for (const slot of slots) if (slot.frozen) lab.thaw(slot.index)
      await eventually(
        async () => slots.every((s) => s.child?.exitCode === null && s.url),
        // A restart under a load average of 30 (four engineers' labs) took over a minute.
        120_000,
        'every daemon to serve',
      )
    },
    async close() {
      closing = true
      for (const slot of slots) {
        slot.child?.kill('SIGCONT')
        slot.child?.kill('SIGKILL')
      }
      await Promise.all(slots.map((s) => s.exited))
      client.close()
      await site.close()
    },
  }

  function newSlot(index: number): Slot {
    const log: string[] = []
    return { index, frozen: false, log, output: () => log.join('') }
  }

  async function spawnDaemon(slot: Slot, crashAt?: string): Promise<void> {
    const env = { ...process.env }
    if (crashAt) env.TANDEM_CRASH_AT = crashAt
    else delete env.TANDEM_CRASH_AT
    slot.blindSince ??= Date.now()
    slot.armed = crashAt
    const argv = runArgv(site, ['--lease', `${LEASE_MS}ms`])
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env })
    slot.child = child
    slot.url = undefined
    slot.frozen = false
    const keep = (chunk: Buffer) => {
      slot.log.push(String(chunk))
      // Keep the log bounded over a long run: older lines are not needed to find the leader.
      if (slot.log.length > 4_000) slot.log.splice(0, 2_000)
      const url = /tandem is running: (\S+)/.exec(String(chunk))?.[1]
      if (url && slot.child === child) {
        slot.url = url
        lab.blind.push([slot.blindSince ?? Date.now(), Date.now() + SETTLE_MS])
        slot.blindSince = undefined
      }
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    slot.exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (slot.child !== child) return resolve()
        lab.deaths.push(Date.now())
        slot.url = undefined
        slot.blindSince ??= Date.now()
        if (!closing) {
          lab.crashes += 1
          // The supervisor brings it back, unarmed: the crash point fires once per arming.
          setTimeout(() => {
            if (!closing && slot.child === child) void spawnDaemon(slot)
          }, 100)
        }
        resolve()
      })
    })
  }

  for (let i = 0; i < instances; i++) await lab.restart(i)
  await lab.allServing()
  return lab
}

const FORWARDING: Record<string, string> = { masq: '-m', route: '-g', tunnel: '-i' }

/**
 * The director's IPVS table as `tandem exec lvs.reconcile` builds it from the inventory, typed
 * with the lab's ipvsadm on the director before tandem starts: a site that was healthy before
 * tandem came (reconciling through tandem first waits for a quorum verdict, ~20 s on a busy box).
 */
export async function buildDirectorTable(site: LabSite): Promise<void> {
  const config = await loadConfig(site.configFile)
  const env = { ...process.env, TANDEM_LAB_NODE: 'director' }
  const ipvsadm = (args: string[]) => run('ipvsadm', args, { env })
  for (const service of config.services) {
    const lvs = service.lvs
    if (!lvs) continue
    const vip = `${lvs.address}:${lvs.port}`
    await ipvsadm(['-A', '-t', vip, '-s', lvs.scheduler ?? 'wlc'])
    for (const rs of service.real_servers) {
      const address = config.nodes.find((n) => n.name === rs.node)?.address
      const args = [
        '-a',
        '-t',
        vip,
        '-r',
        `${address}:${rs.port}`,
        FORWARDING[lvs.forwarding ?? 'masq'] ?? '-m',
        '-w',
        String(rs.weight ?? 1),
      ]
      if (rs.thresholds)
        args.push('-x', String(rs.thresholds.upper), '-y', String(rs.thresholds.lower))
      await ipvsadm(args)
    }
  }
}

/** Incidents close `HOLD_DOWN` after their cause clears (shipped default: 5 min). */
export const HOLD_DOWN = '4s'

function shortenHoldDown(configFile: string): void {
  const text = readFileSync(configFile, 'utf8')
  const listen = '  listen: 127.0.0.1:0\n'
  if (!text.includes(listen)) throw new Error(`[torture] ${configFile} has no "${listen.trim()}"`)
  writeFileSync(configFile, text.replace(listen, `${listen}  incident_hold_down: ${HOLD_DOWN}\n`))
}

/** Rewrites the site's private policy copies with COMPRESSED; a missing value fails loudly. */
function compressPolicies(dir: string): void {
  for (const [file, from, to] of COMPRESSED) {
    const path = join(dir, file)
    const text = readFileSync(path, 'utf8')
    if (!text.includes(from))
      throw new Error(
        `[torture] ${file} no longer says "${from}": update test/torture/lab-driver.ts`,
      )
    writeFileSync(path, text.replaceAll(from, to))
  }
}

async function createToken(site: LabSite): Promise<string> {
  const { stdout } = await run(process.execPath, [
    'bin/tandem.js',
    'token',
    'create',
    '--name',
    `torture-${Date.now()}`,
    '--scope',
    'operate,fence',
    '--json',
    '--config',
    site.configFile,
    '--store',
    site.storeUrl,
  ])
  return (JSON.parse(stdout) as { token: string }).token
}
