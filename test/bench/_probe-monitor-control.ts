// Starts the bench's monitor process (_probe-monitor.ts) and talks to it: calls, events, /proc RSS.
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** A transition as the monitor reported it, with the time it left the engine. */
export interface SeenEvent {
  type: string
  subject: string
  arrived: number
}

export interface WindowStats {
  completed: number
  late: number
  writes: number
}

export interface WindowEnd extends WindowStats {
  cpu: { user: number; system: number }
  delayP99Ms: number
  heapUsedMb: number
  heapTotalMb: number
  externalMb: number
}

/** RSS (MB) after each start-up step, and how the code was loaded ('dist' or 'tsx'). */
export type Stages = Record<string, number | string>

export interface Monitor {
  /** Resolves once monitoring runs, with the RSS (MB) after each start-up step. */
  ready: Promise<{ stages: Stages }>
  seen: SeenEvent[]
  call<T = unknown>(cmd: string): Promise<T>
  /** Resident set size now, and its peak, from /proc (what `ps` and systemd show). */
  rssKb(): number
  peakRssKb(): number
  stop(): Promise<void>
}

/**
 * Forks the monitor with the environment and node flags `tandem` runs with (bin/tandem.js's #!
 * line), so the figures are those of `tandem run`.
 */
export function startMonitor(
  configFile: string,
  storeUrl: string,
  launch = tandemLaunch(),
): Monitor {
  const child = fork(new URL('./_probe-monitor.mjs', import.meta.url), [configFile, storeUrl], {
    stdio: 'inherit',
    execArgv: launch.flags,
    env: { ...process.env, ...launch.env },
  })
  const seen: SeenEvent[] = []
  const waiting = new Map<number, (answer: unknown) => void>()
  let nextId = 0
  let exited = false
  const ready = new Promise<{ stages: Stages }>((resolve, reject) => {
    child.once('exit', (code) => {
      exited = true
      reject(new Error(`[bench] the monitor exited (${code})`))
    })
    child.on(
      'message',
      (message: { cmd: string; id?: number; events?: SeenEvent[]; stages?: Stages }) => {
        if (message.cmd === 'ready') resolve({ stages: message.stages! })
        else if (message.cmd === 'events') seen.push(...message.events!)
        else if (message.id !== undefined) waiting.get(message.id)?.(message)
      },
    )
  })
  const status = (field: string) => {
    const text = readFileSync(`/proc/${child.pid}/status`, 'utf8')
    return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0)
  }
  return {
    ready,
    seen,
    call<T>(cmd: string) {
      const id = ++nextId
      return new Promise<T>((resolve) => {
        waiting.set(id, (answer) => {
          waiting.delete(id)
          resolve(answer as T)
        })
        child.send({ cmd, id })
      })
    },
    rssKb: () => status('VmRSS'),
    peakRssKb: () => status('VmHWM'),
    async stop() {
      if (exited) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.send({ cmd: 'stop', id: ++nextId })
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await gone
      clearTimeout(timer)
    },
  }
}

/** The environment and node flags on bin/tandem.js's `#!/usr/bin/env -S [VAR=value…] node …` line. */
export function tandemLaunch(): { env: Record<string, string>; flags: string[] } {
  const shebang = readFileSync(new URL('../../bin/tandem.js', import.meta.url), 'utf8').split(
    '\n',
  )[0]!
  const words = shebang.split(/\s+/).slice(shebang.includes(' -S ') ? 2 : 1)
  const node = words.indexOf('node')
  const env = Object.fromEntries(words.slice(0, node).map((word) => word.split('=', 2)))
  return { env, flags: words.slice(node + 1) }
}
