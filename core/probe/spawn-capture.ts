// Runs a program in its own process group with a deadline and an output cap, then reaps the group.
import { spawn } from 'node:child_process'
import { killGroup } from '../plugin-host/index.ts'
import { armDeadline } from './deadline.ts'

/** What a finished (or killed) program left behind. */
export interface Captured {
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
  timedOut: boolean
  /** With `timedOut`: time tandem's own loop lost meanwhile, not held against the program. */
  stalledMs?: number
  truncated: boolean
  /** The program could not be started at all (ENOENT, EACCES ...). */
  spawnError?: string
}

export interface CaptureOptions {
  timeoutMs: number
  maxOutputBytes: number
  env: NodeJS.ProcessEnv
}

/** After the program exits, how long stray children may keep its pipes open before the group dies. */
const EXIT_GRACE_MS = 50
/** After a kill, how long to wait for the pipes before giving up on an escaped descendant. */
const KILL_GRACE_MS = 200

/**
 * Spawns `argv` (no shell) as the leader of a new process group. At the deadline the whole
 * group gets SIGKILL, so children and programs that ignore SIGTERM die too; after a normal
 * exit, leftover members of the group are killed as well. Never throws.
 *
 * @example
 * const out = await runCaptured(['/usr/lib/nagios/plugins/check_tcp', '-H', '127.0.0.1', '-p', '22'],
 *   { timeoutMs: 2000, maxOutputBytes: 8192, env: { PATH: '/usr/bin:/bin' } })
 */
export function runCaptured(argv: string[], options: CaptureOptions): Promise<Captured> {
  return new Promise((resolve) => {
    const out: Captured = {
      code: null,
      signal: null,
      stdout: '',
      stderr: '',
      timedOut: false,
      truncated: false,
    }
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env,
    })
    const stdout = collector(options.maxOutputBytes, out)
    const stderr = collector(options.maxOutputBytes, out)
    child.stdout.on('data', stdout.push)
    child.stderr.on('data', stderr.push)
    let done = false
    let grace: NodeJS.Timeout | undefined
    const finish = () => {
      if (done) return
      done = true
      deadline.cancel()
      clearTimeout(grace)
      if (child.pid) killGroup(child.pid, 'SIGKILL')
      child.stdout.destroy()
      child.stderr.destroy()
      out.stdout = stdout.text()
      out.stderr = stderr.text()
      resolve(out)
    }
    const deadline = armDeadline(options.timeoutMs, (stalled) => {
      out.timedOut = true
      if (stalled > 0) out.stalledMs = stalled
      if (child.pid) killGroup(child.pid, 'SIGKILL')
      grace = setTimeout(finish, KILL_GRACE_MS)
    })
    child.on('error', (error) => {
      out.spawnError = (error as NodeJS.ErrnoException).code ?? error.message
      finish()
    })
    child.on('exit', (code, signal) => {
      out.code = code
      out.signal = signal
      if (!out.timedOut) grace = setTimeout(finish, EXIT_GRACE_MS)
    })
    child.on('close', finish)
  })
}

function collector(max: number, out: Captured) {
  const chunks: Buffer[] = []
  let size = 0
  return {
    push(chunk: Buffer) {
      const room = max - size
      if (room <= 0) {
        out.truncated = true
        return
      }
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk)
      size += Math.min(room, chunk.length)
      if (chunk.length > room) out.truncated = true
    },
    text: () => Buffer.concat(chunks, size).toString('utf8'),
  }
}
