// Group timing as Alertmanager users expect it: group_wait, group_interval, repeat_interval, resolved, muted.
import { describe, expect, it } from 'vitest'
import { type AlertSnapshot, flushGroup, newGroup, putAlert, takeUnnotified } from './groups.ts'
import type { RouteMatch } from './route.ts'

const timers: RouteMatch = {
  id: '0',
  receiver: 'ops',
  groupBy: [],
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 3_600_000,
  sendResolved: true,
}
const never = () => false

function alert(
  key: string,
  status: 'firing' | 'resolved' = 'firing',
  labels: Record<string, string> = {},
): AlertSnapshot {
  return {
    key,
    type: 'node.down',
    subject: key,
    status,
    labels,
    title: `${key} down`,
    detail: '',
    startsAt: 0,
  }
}

describe('a group', () => {
  it('waits group_wait after its first alert, collecting the burst', () => {
    const g = newGroup('k', timers, {}, 1_000)
    putAlert(g, alert('a'), timers, 1_000)
    putAlert(g, alert('b'), timers, 9_000)
    expect(g.dueAt).toBe(31_000)
    const result = flushGroup(g, timers, 31_000, never)
    expect(result.send?.firing.map((a) => a.key)).toEqual(['a', 'b'])
    expect(result.next?.alerts.every((a) => a.notified === 'firing')).toBe(true)
  })

  it('tells about news no sooner than group_interval after the last notice', () => {
    const g = newGroup('k', timers, {}, 0)
    putAlert(g, alert('a'), timers, 0)
    const first = flushGroup(g, timers, 30_000, never).next!
    putAlert(first, alert('b'), timers, 40_000)
    expect(first.dueAt).toBe(330_000)
    putAlert(first, alert('a', 'resolved'), timers, 50_000)
    const second = flushGroup(first, timers, 330_000, never)
    expect(second.send?.firing.map((a) => a.key)).toEqual(['b'])
    expect(second.send?.resolved.map((a) => a.key)).toEqual(['a'])
    expect(second.next?.alerts.map((a) => a.key)).toEqual(['b'])
  })

  it('repeats still-firing alerts only after repeat_interval', () => {
    const g = newGroup('k', timers, {}, 0)
    putAlert(g, alert('a'), timers, 0)
    const sent = flushGroup(g, timers, 30_000, never).next!
    expect(sent.dueAt).toBe(30_000 + 3_600_000)
    expect(flushGroup(sent, timers, 400_000, never).send).toBeUndefined()
    expect(flushGroup(sent, timers, 3_630_000, never).send?.firing).toHaveLength(1)
  })

  it('ignores a repeated event that says nothing new', () => {
    const g = newGroup('k', timers, {}, 0)
    putAlert(g, alert('a'), timers, 0)
    const sent = flushGroup(g, timers, 30_000, never).next!
    const due = sent.dueAt
    putAlert(sent, { ...alert('a'), detail: 'still down' }, timers, 60_000)
    expect(sent.dueAt).toBe(due)
    expect(sent.alerts[0]).toMatchObject({ detail: 'still down', notified: 'firing' })
  })

  it('drops an alert that fired and resolved before anyone was told', () => {
    const g = newGroup('k', timers, {}, 0)
    putAlert(g, alert('a'), timers, 0)
    putAlert(g, alert('a', 'resolved'), timers, 5_000)
    const result = flushGroup(g, timers, 30_000, never)
    expect(result.send).toBeUndefined()
    expect(result.next).toBeNull()
  })

  it('holds muted alerts back, records them once, and sends them when the silence ends', () => {
    const g = newGroup('k', timers, {}, 0)
    putAlert(g, alert('a', 'firing', { node: 'n1' }), timers, 0)
    putAlert(g, alert('b', 'firing', { node: 'n2' }), timers, 0)
    const silenced = (labels: Record<string, string>) => labels.node === 'n1'
    const first = flushGroup(g, timers, 30_000, silenced)
    expect(first.send?.firing.map((a) => a.key)).toEqual(['b'])
    expect(first.mutedNow.map((a) => a.key)).toEqual(['a'])
    const again = flushGroup(first.next!, timers, 330_000, silenced)
    expect(again.mutedNow).toEqual([])
    const after = flushGroup(again.next!, timers, 630_000, never)
    expect(after.send?.firing.map((a) => a.key).sort()).toEqual(['a', 'b'])
  })

  it('gives an alert up to a thread only if its receiver has not heard of it', () => {
    const g = newGroup('k', timers, {}, 0)
    putAlert(g, alert('a'), timers, 0)
    expect(takeUnnotified(g, 'a')).toBe(true)
    putAlert(g, alert('b'), timers, 0)
    const sent = flushGroup(g, timers, 30_000, never).next!
    expect(takeUnnotified(sent, 'b')).toBe(false)
  })
})
