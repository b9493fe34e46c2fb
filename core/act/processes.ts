// Orphaned commands after a crash: wait for (or stop) what the previous daemon left running.
import { readFileSync } from 'node:fs'
import { killGroup, processStartTicks } from '../plugin-host/index.ts'

/** Alive and the same process (pid not reused): state is not zombie and the start time matches. */
export function stillRunning(proc: { pid: number; startTicks?: number }): boolean {
  let stat: string
  try {
    stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8')
  } catch {
    return false
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  if (state === 'Z' || state === 'X') return false
  return proc.startTicks === undefined || processStartTicks(proc.pid) === proc.startTicks
}

/**
 * Waits until none of `procs` runs any more; past `timeoutMs` their process groups are
 * killed (TERM, then KILL). A fence agent left by a killed daemon may still be switching the
 * node off: its verdict must land before anyone reads the state back.
 */
export async function waitForOrphans(
  procs: readonly { pid: number; startTicks?: number }[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let alive = procs.filter(stillRunning)
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(50)
    alive = alive.filter(stillRunning)
  }
  if (alive.length === 0) return
  for (const proc of alive) killGroup(proc.pid, 'SIGTERM')
  await sleep(2_000)
  for (const proc of alive.filter(stillRunning)) killGroup(proc.pid, 'SIGKILL')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
