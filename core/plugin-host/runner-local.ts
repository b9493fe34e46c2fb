// The local command runner: execFile-style spawn (no shell), process-group kill on timeout,
// output cap and a scrubbed environment.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { TandemError } from '../errors.ts'
import type { CommandResult, CommandRunner, CommandSpec, Logger } from '../plugin/index.ts'

/** Variables copied from tandem's own environment; everything else is dropped. */
export const DEFAULT_PASS_ENV = ['PATH', 'LANG', 'TANDEM_LAB_WORLD'] as const

export interface LocalRunnerOptions {
  /** Names copied from `process.env` (default PATH, LANG and the lab world file). */
  passEnv?: readonly string[]
  defaultTimeoutMs?: number
  /** Per stream; `spec.maxOutputBytes` wins. */
  maxOutputBytes?: number
  /** Between SIGTERM and SIGKILL of the process group at a timeout. */
  killGraceMs?: number
  log?: Logger
}

const DEFAULTS = { timeoutMs: 60_000, maxOutputBytes: 4 * 1024 * 1024, killGraceMs: 2_000 }

/**
 * Runs argv arrays on this machine. Each command leads its own process group, so a
 * timeout or an abort kills it and every child it started (SIGTERM, then SIGKILL).
 *
 * @example
 * const runner = createLocalRunner()
 * const { code, stdout } = await runner.run({ argv: ['ipvsadm', '-Ln'], timeoutMs: 5_000 })
 */
export function createLocalRunner(options: LocalRunnerOptions = {}): CommandRunner {
  const passEnv = options.passEnv ?? DEFAULT_PASS_ENV
  return {
    run: function runLocal(spec) {
      return runOne(spec, {
        env: scrubbedEnv(passEnv, spec.env),
        timeoutMs: spec.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULTS.timeoutMs,
        maxOutputBytes: spec.maxOutputBytes ?? options.maxOutputBytes ?? DEFAULTS.maxOutputBytes,
        killGraceMs: options.killGraceMs ?? DEFAULTS.killGraceMs,
        log: options.log,
      })
    },
  }
}

/** Start time of a process in clock ticks since boot (`/proc/<pid>/stat` field 22), if known. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[19])
    return Number.isFinite(ticks) ? ticks : undefined
  } catch {
    return undefined
  }
}

/** Sends `signal` to the whole process group led by `pid`; false when it is already gone. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

interface RunSettings {
  env: Record<string, string>
  timeoutMs: number
  maxOutputBytes: number
  killGraceMs: number
  log?: Logger
}

function runOne(spec: CommandSpec, settings: RunSettings): Promise<CommandResult> {
  const [file, ...args] = spec.argv
  if (!file) return Promise.reject(new TandemError('COMMAND_FAILED', '[runner] empty argv'))
  if (spec.signal?.aborted) return Promise.reject(aborted(file))
  const started = performance.now()
  const child = spawn(file, args, {
    env: settings.env,
    detached: true,
    shell: false,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  return new Promise<CommandResult>((resolve, reject) => {
    const out = capture(settings.maxOutputBytes)
    const err = capture(settings.maxOutputBytes)
    let timedOut = false
    let killTimer: NodeJS.Timeout | undefined
    let settled = false
    const stop = () => {
      if (!child.pid || child.exitCode !== null || child.signalCode !== null) return
      killGroup(child.pid, 'SIGTERM')
      // Kept past the leader's exit: a child that ignores SIGTERM still goes.
      killTimer ??= setTimeout(
        () => child.pid && killGroup(child.pid, 'SIGKILL'),
        settings.killGraceMs,
      )
      killTimer.unref()
    }
    const timer = setTimeout(() => {
      timedOut = true
      stop()
    }, settings.timeoutMs)
    const onAbort = () => stop()
    spec.signal?.addEventListener('abort', onAbort, { once: true })
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      spec.signal?.removeEventListener('abort', onAbort)
      // A grandchild that left the group may still hold our pipes: do not wait for it.
      child.stdout?.destroy()
      child.stderr?.destroy()
      resolve({
        code,
        signal,
        stdout: out.text(),
        stderr: err.text(),
        durationMs: Math.round(performance.now() - started),
        timedOut,
        truncated: out.truncated || err.truncated,
      })
    }
    child.stdout?.on('data', out.push)
    child.stderr?.on('data', err.push)
    child.once('spawn', () => {
      settings.log?.debug('[runner] spawned', { pid: child.pid, file })
      if (child.pid) spec.onSpawn?.(child.pid)
    })
    child.once('error', (cause) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      spec.signal?.removeEventListener('abort', onAbort)
      reject(
        new TandemError('COMMAND_FAILED', `[runner] cannot run ${file}: ${cause.message}`, {
          cause,
        }),
      )
    })
    child.once('close', finish)
    // 'close' waits for the pipes; after the exit give readers a moment, then stop waiting.
    // The grace ends in the check phase, after one more poll: a loop stalled past 200 ms
    // still reads the output already sitting in the pipes instead of dropping it.
    child.once('exit', (code, signal) =>
      setTimeout(() => setImmediate(() => finish(code, signal)), 200).unref(),
    )
    child.stdin?.on('error', () => {}) // the tool may exit without reading stdin (EPIPE)
    child.stdin?.end(spec.stdin ?? '')
  })
}

function scrubbedEnv(
  pass: readonly string[],
  extra: Record<string, string> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of pass) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  env.LANG ??= 'C'
  return { ...env, ...extra }
}

function capture(limit: number) {
  const chunks: Buffer[] = []
  let size = 0
  const state = {
    truncated: false,
    push: (chunk: Buffer) => {
      if (size >= limit) {
        state.truncated = true
        return
      }
      const room = limit - size
      if (chunk.length > room) state.truncated = true
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk
      chunks.push(kept)
      size += kept.length
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  }
  return state
}

function aborted(file: string): TandemError {
  return new TandemError('ACTION_TIMEOUT', `[runner] ${file} not started: the action was aborted`)
}
