// Runs Monit (Debian's /usr/bin/monit) against the same farm and measures its CPU per check.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Farm } from './_probe-farm-control.ts'

export const MONIT = '/usr/bin/monit'

export interface MonitFigures {
  version: string
  checks: number
  cpuUsPerCheck: number
  cpuSystemUsPerCheck: number
  rssMb: number
}

/**
 * Monit checks every target with `protocol http` once per cycle (`set daemon`), one after the
 * other. CPU comes from /proc (utime + stime), checks from the farm's request count.
 */
export async function measureMonit(
  farm: Farm,
  dir: string,
  intervalS: number,
  windowS: number,
): Promise<MonitFigures | null> {
  if (!existsSync(MONIT)) return null
  const rc = join(dir, 'monitrc')
  writeMonitrc(rc, dir, farm.targets, intervalS)
  const monit = spawn(MONIT, ['-I', '-c', rc], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  monit.stderr.on('data', (d) => (stderr += d))
  try {
    // Warm-up: the first full cycle parses the file and opens nothing it will keep.
    const start = await farm.requests()
    await until(
      async () => (await farm.requests()).monit - start.monit >= farm.targets.length,
      monit,
      () => stderr,
    )
    const cpu0 = cpuMs(monit.pid!)
    const sys0 = cpuMs(monit.pid!, 'system')
    const req0 = (await farm.requests()).monit
    let rss = 0
    for (let s = 0; s < windowS; s++) {
      await sleep(1000)
      rss = Math.max(rss, rssKb(monit.pid!))
    }
    const checks = (await farm.requests()).monit - req0
    const cpu = cpuMs(monit.pid!) - cpu0
    const sys = cpuMs(monit.pid!, 'system') - sys0
    return {
      version: '5.33',
      checks,
      cpuUsPerCheck: round((cpu * 1000) / Math.max(1, checks)),
      cpuSystemUsPerCheck: round((sys * 1000) / Math.max(1, checks)),
      rssMb: round(rss / 1024),
    }
  } finally {
    monit.kill('SIGTERM')
  }
}

function writeMonitrc(
  file: string,
  dir: string,
  targets: [string, number][],
  intervalS: number,
): void {
  const lines = [
    `set daemon ${intervalS}`,
    `set logfile ${join(dir, 'monit.log')}`,
    `set pidfile ${join(dir, 'monit.pid')}`,
    `set idfile ${join(dir, 'monit.id')}`,
    `set statefile ${join(dir, 'monit.state')}`,
    '',
  ]
  targets.forEach(([address, port], i) => {
    lines.push(`check host t${i} with address ${address}`)
    lines.push(
      `  if failed port ${port} protocol http request "/healthz" with timeout 2 seconds then alert`,
    )
  })
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 })
}

async function until(
  done: () => Promise<boolean>,
  child: ChildProcess,
  why: () => string,
): Promise<void> {
  const deadline = Date.now() + 120_000
  while (!(await done())) {
    if (child.exitCode !== null) throw new Error(`monit exited: ${why()}`)
    if (Date.now() > deadline) throw new Error('monit did not finish a cycle in 120 s')
    await sleep(250)
  }
}

/** utime + stime (or stime alone) of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number, which: 'all' | 'system' = 'all'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const system = Number(fields[12])
  return (which === 'system' ? system : Number(fields[11]) + system) * 10
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const round = (n: number) => Math.round(n * 10) / 10
