// Probe deadlines that do not blame a target for time the monitor itself lost.
//
// A probe's timer is checked by the same event loop that reads the answer. When that loop is
// blocked (a synchronous store write, a long render) or the process gets no CPU (a loaded host),
// the timer fires after the pause, in the timers phase, before the poll phase has read an answer
// that may have arrived long ago: the target is judged "timeout" for our own stall. keepalived
// runs its checkers in a process of their own for this reason; here the loop's lost time is
// measured and given back to the probe, and expiry waits until the loop has read what arrived.

/** How often the loop clock ticks; a tick later than this plus SLACK_MS counts as lost time. */
const TICK_MS = 50
const SLACK_MS = 20

/** Milliseconds the loop could not run since the clock started (monotonic, only grows). */
let lostMs = 0
let lastTick = 0
let clock: NodeJS.Timeout | undefined
let armed = 0

function tick(): void {
  const now = performance.now()
  const late = now - lastTick - TICK_MS
  if (late > SLACK_MS) lostMs += late
  lastTick = now
}

function startClock(): void {
  if (armed++ > 0) return
  lastTick = performance.now()
  clock = setInterval(tick, TICK_MS)
  clock.unref()
}

function stopClock(): void {
  if (--armed > 0) return
  clearInterval(clock)
  clock = undefined
}

/** The loop time lost so far, brought up to now (a stall still in progress counts too). */
function lostSoFar(): number {
  if (clock) tick()
  return lostMs
}

export interface Deadline {
  /** Cancels the deadline (the probe finished first). Safe to call more than once. */
  cancel(): void
}

/**
 * Calls `expire(stalledMs)` once the target has had `timeoutMs` of the loop's running time. Time
 * the loop lost meanwhile is given back (at most `2 × timeoutMs` in all, so a monitor that never
 * runs still decides), and expiry runs after the poll phase of that turn (setImmediate), so an
 * answer already received wins over the timer. `stalledMs` is the time given back, for the
 * result's detail.
 *
 * @example
 * const deadline = armDeadline(1000, (stalled) => finish(timedOut(startedAt, 1000, 'response', stalled)))
 * socket.once('data', () => deadline.cancel())
 */
export function armDeadline(timeoutMs: number, expire: (stalledMs: number) => void): Deadline {
  startClock()
  const lostAtStart = lostSoFar()
  const maxCredit = 2 * timeoutMs
  let credited = 0
  let timer: NodeJS.Timeout | undefined
  let immediate: NodeJS.Immediate | undefined
  let done = false
  const finish = () => {
    if (done) return
    done = true
    stopClock()
  }
  const due = () => {
    timer = undefined
    immediate = setImmediate(() => {
      immediate = undefined
      if (done) return
      const owed = Math.min(maxCredit, lostSoFar() - lostAtStart) - credited
      if (owed >= 1) {
        credited += owed
        timer = setTimeout(due, owed)
        return
      }
      finish()
      expire(Math.round(credited))
    })
  }
  timer = setTimeout(due, timeoutMs)
  return {
    cancel() {
      if (done) return
      clearTimeout(timer)
      if (immediate) clearImmediate(immediate)
      finish()
    },
  }
}
