// Flap detection as Nagios does it: weighted percent state change over the last N results, with hysteresis.

/** Recent pass/fail results of one target and the flapping verdict with hysteresis. */
export class FlapHistory {
  /** 1 pass, 0 fail; a ring of `window` bytes, oldest at `next` once `count` reached `window`. */
  private readonly results: Uint8Array
  private count = 0
  private next = 0
  flapping = false

  constructor(
    private readonly window: number,
    private readonly high: number,
    private readonly low: number,
  ) {
    this.results = new Uint8Array(window)
  }

  /**
   * Records a result; returns 'start' or 'stop' when the verdict changes. Flapping starts at
   * `high` percent or more and stops below `low`; stopping needs a full window of history,
   * so a restart (empty history) never ends a flap on no evidence.
   */
  push(pass: boolean): 'start' | 'stop' | undefined {
    this.results[this.next] = pass ? 1 : 0
    this.next = (this.next + 1) % this.window
    if (this.count < this.window) this.count++
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
    if (n < 2) return 0
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
}
