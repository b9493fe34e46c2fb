// Lifetimes for crm_resource --lifetime: ISO 8601 kept, tandem durations converted.
import { describe, expect, it } from 'vitest'
import { isoDuration, Lifetime } from './guards.ts'

describe('Lifetime', () => {
  it('keeps ISO 8601 durations and converts tandem ones', () => {
    expect(Lifetime.parse('PT1H')).toBe('PT1H')
    expect(Lifetime.parse('P1DT12H')).toBe('P1DT12H')
    expect(Lifetime.parse('90m')).toBe('PT1H30M')
    expect(Lifetime.parse('2d')).toBe('P2D')
    expect(Lifetime.parse('45s')).toBe('PT45S')
  })

  it('refuses what crm_resource would refuse', () => {
    for (const bad of ['garbage', 'P', 'PT', '1 hour', 'P1H'])
      expect(Lifetime.safeParse(bad).success).toBe(false)
  })

  it('never produces an empty duration', () => {
    expect(isoDuration(0)).toBe('PT1S')
    expect(isoDuration(86_400_000 + 61_000)).toBe('P1DT1M1S')
  })
})
