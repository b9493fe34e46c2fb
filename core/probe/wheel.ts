// The timing wheel: due checks in buckets of one tick, and the queue of those due but waiting for a slot.

/**
 * Buckets of `tickMs`; `advance(now)` hands out everything due up to now, in bucket order. A
 * thing placed at or before the current tick goes to the next one, so nothing is ever lost
 * behind the cursor.
 */
export class TimingWheel<T extends { due: number }> {
  private readonly buckets = new Map<number, T[]>()
  private cursor: number

  constructor(
    private readonly tickMs: number,
    now: number,
  ) {
    this.cursor = Math.floor(now / tickMs)
  }

  place(item: T): void {
    const bucket = Math.max(Math.floor(item.due / this.tickMs), this.cursor + 1)
    const list = this.buckets.get(bucket)
    if (list) list.push(item)
    else this.buckets.set(bucket, [item])
  }

  /** Everything whose bucket has passed by `now`, oldest bucket first. */
  advance(now: number, take: (item: T) => void): void {
    const to = Math.floor(now / this.tickMs)
    for (let bucket = this.cursor + 1; bucket <= to; bucket++) {
      const list = this.buckets.get(bucket)
      if (!list) continue
      this.buckets.delete(bucket)
      for (const item of list) take(item)
    }
    this.cursor = to
  }
}

/** First in, first out, without shifting the array on every take (the ready list can be long). */
export class ReadyQueue<T> {
  private items: (T | undefined)[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  take(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined
    return item
  }

  /** Frees the taken part: all of it when empty, else once it is large. */
  compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
    } else if (this.head > 4096) {
      this.items.splice(0, this.head)
      this.head = 0
    }
  }
}
