// Flap detection as Nagios does it: weighted percent state change over the last N results, with hysteresis.

/** Recent pass/fail results of one target and the flapping verdict with hysteresis. */
export class FlapHistory {
  /** 1 pass, 0 fail; a ring of `window` bytes, oldest at `next` once `count` reached `window`. */
  private readonly results: Uint8Array
  private count = 0
  private next = 0
  /** Results after the newest state change (count - 1 or more: no change in the window). */
  private sinceChange = 0
  flapping = false

  constructor(
    private readonly window: number,
    private readonly high: number,
    private readonly low: number,
  ) {
    this.results = new Uint8Array(window)
  }

  /**
   * True when the window holds no state change: its percent is 0 and one more identical
   * result leaves it as it is, so a settled history never needs storing again.
   */
  get settled(): boolean {
    return this.sinceChange >= this.count - 1
  }

  /**
   * Records a result; returns 'start' or 'stop' when the verdict changes. Flapping starts at
   * `high` percent or more and stops below `low`. The first result fills the whole window (as
   * Nagios starts a history at the first state), so a history is always a full window, except
   * a flapping one restored without history (a row older than stored histories): stopping
   * needs a full window, so that never ends a flap on no evidence.
   */
  push(pass: boolean): 'start' | 'stop' | undefined {
    if (this.count === 0 && !this.flapping) this.fill(pass ? 1 : 0)
    else this.append(pass ? 1 : 0)
    const percent = this.percent()
    if (!this.flapping && percent >= this.high) {
      this.flapping = true
      return 'start'
    }
    if (this.flapping && percent < this.low && this.count >= this.window) {
      this.flapping = false
      return 'stop'
    }
    return undefined
  }

  /**
   * Percent state change, oldest to newest, each change weighted from 0.75 (oldest) to 1.25
   * (newest) and divided by the changes a full window can hold.
   */
  percent(): number {
    const n = this.count
    if (n < 2 || this.settled) return 0
    const start = n < this.window ? 0 : this.next
    let weighted = 0
    let previous = this.results[start]!
    for (let i = 1; i < n; i++) {
      const current = this.results[(start + i) % this.window]!
      if (current !== previous) weighted += 0.75 + (0.5 * (i - 1)) / Math.max(1, this.window - 2)
      previous = current
    }
    return Math.round(((weighted * 100) / (this.window - 1)) * 10) / 10
  }

  /**
   * The history as stored: one character per result, oldest first, `1` pass and `0` fail
   * (e.g. `110100111`). At most `window` characters.
   *
   * @example
   * row.flapHistory = record.flap.serialize()
   */
  serialize(): string {
    const start = this.count < this.window ? 0 : this.next
    let text = ''
    for (let i = 0; i < this.count; i++) text += this.results[(start + i) % this.window]
    return text
  }

  /**
   * Takes a stored history back (see serialize; set `flapping` first); only its newest
   * `window` results count. A shorter one (a larger window since) starts with its oldest result
   * repeated, unless flapping. Anything but `0`/`1` is ignored: a damaged row costs the
   * history, never the engine.
   */
  restore(text: string | null | undefined): void {
    const results = /^[01]+$/.test(text ?? '') ? text!.slice(-this.window) : ''
    this.count = 0
    this.next = 0
    this.sinceChange = 0
    if (results.length > 0 && !this.flapping) this.fill(results[0] === '1' ? 1 : 0)
    for (const char of results) this.append(char === '1' ? 1 : 0)
  }

  private fill(value: 0 | 1): void {
    this.results.fill(value)
    this.count = this.window
    this.next = 0
    this.sinceChange = this.window - 1
  }

  private append(value: 0 | 1): void {
    const newest = this.results[(this.next + this.window - 1) % this.window]
    this.sinceChange = this.count === 0 || newest !== value ? 0 : this.sinceChange + 1
    this.results[this.next] = value
    this.next = (this.next + 1) % this.window
    if (this.count < this.window) this.count++
  }
}
