import { describe, expect, it } from 'vitest'
import type { TandemEvent } from '../events/index.ts'
import { compileTrigger, triggerAccepts } from './triggers.ts'

const alert = (name: string): TandemEvent =>
  ({
    type: 'alert.received',
    subject: name,
    at: 0,
    labels: { alertname: name },
    payload: {},
  }) as unknown as TandemEvent

describe('trigger globs', () => {
  it('match literally except for * and ?, anchored at both ends', () => {
    const trigger = compileTrigger({
      event: 'alert.received',
      labels: { alertname: 'Disk?Full.*' },
    })
    expect(triggerAccepts(trigger, alert('Disk-Full.x'))).toBe(true)
    expect(triggerAccepts(trigger, alert('DiskFull.x'))).toBe(false)
    expect(triggerAccepts(trigger, alert('Disk-FullXx'))).toBe(false) // '.' is literal
    expect(triggerAccepts(trigger, alert('xDisk-Full.x'))).toBe(false)
  })

  it('take linear time on a hostile label: many stars against 20 000 characters', () => {
    // A backtracking engine tries every split of the value between the stars: minutes.
    const trigger = compileTrigger({
      event: 'alert.received',
      labels: { alertname: '*a*a*a*a*a*a*a*a*a*a*b' },
    })
    const started = performance.now()
    expect(triggerAccepts(trigger, alert('a'.repeat(20_000)))).toBe(false)
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(triggerAccepts(trigger, alert(`${'a'.repeat(20)}b`))).toBe(true)
  })
})
