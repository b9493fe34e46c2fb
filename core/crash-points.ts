// Named places where a SIGKILL must change nothing about the outcome; tests kill the daemon there.

/**
 * Every durable transition between an event and a closed incident that a crash could split.
 * A name here is a promise: `test/` kills the daemon at it and checks the outcome is the same.
 * Add a name when you add a durable transition; tests iterate this list.
 */
export const CRASH_POINTS = [
  /** An event's incident and fence-state effects are stored; policies have not matched it yet. */
  'incident.applied',
  /** A due `for:` timer was read and planned; its run (and the timer's consumption) not written. */
  'timer.due',
  /** A run's intents (run, steps, consumed timer) are stored; no step has been decided. */
  'run.intent',
  /** A step is marked running (fences: the node unclean); its command has not started. */
  'step.running',
  /** A step's action returned (the world changed); its outcome is not journaled yet. */
  'step.acted',
  /** A step's outcome (and a fence's confirmation) is journaled; the next step has not begun. */
  'step.outcome',
  /** A run's final status is stored; its outcome notice is not queued yet. */
  'run.finished',
  /** The events cursor is about to move past a batch whose runs have been journaled. */
  'events.cursor',
  /** A resolved incident's notice is queued; that it was is not recorded yet (it re-sends). */
  'incident.resolved',
  /** Incidents past their hold-down are closed; nothing else is written after it. */
  'incident.closed',
  /** A step's approval is requested (its row stored); the step is not marked waiting yet. */
  'approval.requested',
  /** A person's decision is stored (CLI or API); the leader has not picked it up yet. */
  'approval.decided',
  /** The leader took the decision (step pending again, run running); the step has not run. */
  'approval.resumed',
] as const

/**
 * Where a SIGKILL cannot leave the outcome unchanged, only recognisable: the notice reached its
 * receiver (SMTP 250, HTTP 2xx) and its outcome is not recorded yet, so it is sent again after
 * the claim's lease, with the same Message-ID / webhook-id (docs/notify.md, "At least once").
 * Kept apart from CRASH_POINTS, whose every name promises an unchanged outcome.
 */
export const DELIVERY_CRASH_POINTS = [
  /** A notifier answered `ok` for a notice; the outbox row still says `delivering`. */
  'notice.sent',
] as const

export type CrashPoint = (typeof CRASH_POINTS)[number] | (typeof DELIVERY_CRASH_POINTS)[number]

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
