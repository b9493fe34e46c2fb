// Named places where a SIGKILL must change nothing about the outcome; tests kill the daemon there.

/**
 * Every durable transition between an event and a closed incident that a crash could split.
 * A name here is a promise: `test/` kills the daemon at it and checks the outcome is the same.
 * Add a name when you add a durable transition; tests iterate this list.
 */
export const CRASH_POINTS = [
  /** The events cursor is about to move past a batch whose runs have been journaled. */
  'events.cursor',
] as const

export type CrashPoint = (typeof CRASH_POINTS)[number]

/**
 * Kills this process with SIGKILL when `TANDEM_CRASH_AT` names `point` (optionally `point#n`:
 * the n-th time it is reached, counting from 1). A no-op otherwise, and cheap: one lookup.
 *
 * @example
 * await store.tx(writeIntent)
 * crashPoint('step.intent') // TANDEM_CRASH_AT=step.intent kills the daemon right here
 */
export function crashPoint(point: CrashPoint): void {
  if (armed === undefined) armed = parse(process.env.TANDEM_CRASH_AT)
  if (armed?.point !== point) return
  reached += 1
  if (reached < armed.nth) return
  process.stderr.write(`[crash-points] SIGKILL at ${point} (#${reached})\n`)
  process.kill(process.pid, 'SIGKILL')
  // The signal is delivered asynchronously to ourselves: run nothing more until it lands.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
}

let armed: { point: string; nth: number } | null | undefined
let reached = 0

function parse(value: string | undefined): { point: string; nth: number } | null {
  if (!value) return null
  const [point = '', nth = '1'] = value.split('#')
  return { point, nth: Math.max(1, Number.parseInt(nth, 10) || 1) }
}
