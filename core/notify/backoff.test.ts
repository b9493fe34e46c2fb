// Retry timing: doubling with jitter, capped, and never sooner than the receiver asked.
import { describe, expect, it } from 'vitest'
import { retryDelayMs } from './backoff.ts'

const retry = { initial: 5_000, max: 60_000 }

describe('retryDelayMs', () => {
  it('doubles per attempt between half and the full step', () => {
    expect(retryDelayMs(1, retry, () => 0)).toBe(2_500)
    expect(retryDelayMs(1, retry, () => 1)).toBe(5_000)
    expect(retryDelayMs(3, retry, () => 0.5)).toBe(15_000)
  })

  it('spreads notices that failed together', () => {
    const delays = new Set(Array.from({ length: 20 }, () => retryDelayMs(4, retry, Math.random)))
    expect(delays.size).toBeGreaterThan(10)
  })

  it('stops growing at max', () => {
    expect(retryDelayMs(30, retry, () => 1)).toBe(60_000)
  })

  it('honours Retry-After as a floor, within a day', () => {
    expect(retryDelayMs(1, retry, () => 0, 120_000)).toBe(120_000)
    expect(retryDelayMs(1, retry, () => 0, 10 * 86_400_000)).toBe(86_400_000)
  })
})
