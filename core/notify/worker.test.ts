// The delivery worker: kicks coalesce, nothing runs after stop().
import { describe, expect, it } from 'vitest'
import { createLogger } from '../log.ts'
import type { DeliveryReport } from './deliver.ts'
import { createWorker } from './worker.ts'

const quiet = createLogger({
  level: 'silent',
  destination: { write: () => true } as unknown as NodeJS.WritableStream,
})

describe('the delivery worker', () => {
  it('turns kicks during a pass into one more pass, and runs none once stopped', async () => {
    let passes = 0
    let release!: () => void
    const first = new Promise<void>((resolve) => {
      release = resolve
    })
    const worker = createWorker(
      async () => {
        passes++
        if (passes === 1) await first
        return {} as DeliveryReport
      },
      60_000,
      quiet,
    )
    worker.start()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(passes).toBe(1)
    for (let i = 0; i < 10; i++) {
      worker.kick()
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    release()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(passes).toBe(2)

    for (let i = 0; i < 5; i++) worker.kick()
    const stopping = worker.stop()
    await stopping
    const atStop = passes
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(passes).toBe(atStop)
  })
})
