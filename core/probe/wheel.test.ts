// The timing wheel and the ready queue alone: due things come out in order, none is lost or repeated.
import { describe, expect, it } from 'vitest'
import { ReadyQueue, TimingWheel } from './wheel.ts'

function drain<T extends { due: number }>(wheel: TimingWheel<T>, now: number): T[] {
  const out: T[] = []
  wheel.advance(now, (item) => out.push(item))
  return out
}

describe('TimingWheel', () => {
  it('hands out what is due by now, oldest first, and each thing once', () => {
    const wheel = new TimingWheel<{ due: number; id: string }>(20, 1_000)
    wheel.place({ due: 1_065, id: 'c' })
    wheel.place({ due: 1_021, id: 'a' })
    wheel.place({ due: 1_045, id: 'b' })
    expect(drain(wheel, 1_019).map((item) => item.id)).toEqual([])
    expect(drain(wheel, 1_050).map((item) => item.id)).toEqual(['a', 'b'])
    expect(drain(wheel, 1_050)).toEqual([])
    expect(drain(wheel, 2_000).map((item) => item.id)).toEqual(['c'])
  })

  it('puts a thing already overdue in the next tick, not behind the cursor where it is lost', () => {
    const wheel = new TimingWheel<{ due: number }>(20, 1_000)
    drain(wheel, 1_500)
    wheel.place({ due: 700 })
    expect(drain(wheel, 1_500)).toEqual([])
    expect(drain(wheel, 1_520)).toEqual([{ due: 700 }])
  })
})

describe('ReadyQueue', () => {
  it('takes in arrival order across compactions, and counts what waits', () => {
    const queue = new ReadyQueue<number>()
    for (let i = 0; i < 5_000; i++) queue.push(i)
    const taken: number[] = []
    for (let i = 0; i < 4_500; i++) taken.push(queue.take()!)
    queue.compact()
    queue.push(5_000)
    expect(queue.length).toBe(501)
    while (queue.length > 0) taken.push(queue.take()!)
    expect(taken).toEqual(Array.from({ length: 5_001 }, (_, i) => i))
    expect(queue.take()).toBeUndefined()
  })
})
