// A check's phase: spread over the interval, and the same after a restart or on another instance.
import { describe, expect, it } from 'vitest'
import { firstDue } from './phase.ts'

describe('firstDue', () => {
  it('keeps a check at the same wall-clock phase whatever the clocks read when it starts', () => {
    const interval = 10_000
    const wall = 1_700_000_000_000
    const here = firstDue('web/node1/http', interval, 500, wall)
    // Another instance (another monotonic clock) 3.7 s later: same wall-clock moment.
    const there = firstDue('web/node1/http', interval, 90_000, wall + 3_700)
    expect((wall + (here - 500)) % interval).toBe((wall + 3_700 + (there - 90_000)) % interval)
    expect(here - 500).toBeGreaterThanOrEqual(0)
    expect(here - 500).toBeLessThan(interval)
  })

  it('spreads checks with one interval over the whole interval instead of firing together', () => {
    const interval = 10_000
    const tenths = new Set<number>()
    for (let i = 0; i < 200; i++)
      tenths.add(Math.floor(firstDue(`web/n${i}/http`, interval, 0, 0) / 1_000))
    expect([...tenths].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })
})
