import { describe, expect, it } from 'vitest'
import { probePing } from './ping.ts'

describe('ping probe (system ping)', () => {
  it('gets an echo reply from the loopback address with its round-trip time', async () => {
    const r = await probePing('127.0.0.1', 1000)
    expect(r.status).toBe('ok')
    expect(r.detail).toMatch(/^reply from 127\.0\.0\.1 in [\d.]+ ms$/)
    expect(r.data?.rttMs).toBeGreaterThanOrEqual(0)
  })
})
