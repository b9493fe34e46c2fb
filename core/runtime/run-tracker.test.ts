// The run tracker: settle waits for every run, a failed run is logged and never thrown, a lapsed lease is a warning.
import { PassThrough } from 'node:stream'
import { expect, it } from 'vitest'
import { TandemError } from '../errors.ts'
import { createLogger } from '../log.ts'
import { createRunTracker } from './run-tracker.ts'

function capturedLog() {
  const destination = new PassThrough()
  const lines: { level: number; msg: string }[] = []
  destination.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line))
  })
  return { log: createLogger({ level: 'info', destination, format: 'json' }), lines }
}

it('settles only once the runs tracked while settling have ended too', async () => {
  const { log } = capturedLog()
  const runs = createRunTracker(log)
  const ended: string[] = []
  let finishSecond = () => {}
  runs.track(
    Promise.resolve().then(() => {
      ended.push('first')
      // A run that starts another (a queued request settling its row) before it ends.
      runs.track(
        new Promise<void>((resolve) => {
          finishSecond = () => {
            ended.push('second')
            resolve()
          }
        }),
      )
    }),
  )
  const settled = runs.settle().then(() => ended.push('settled'))
  await new Promise((resolve) => setImmediate(resolve))
  expect(ended).toEqual(['first'])
  finishSecond()
  await settled
  expect(ended).toEqual(['first', 'second', 'settled'])
})

it('logs a failed run as an error and a lapsed lease as a warning, and settles', async () => {
  const { log, lines } = capturedLog()
  const runs = createRunTracker(log)
  runs.track(Promise.reject(new Error('[lvs] ipvsadm exited 2')))
  runs.track(Promise.reject(new TandemError('STALE_LEADER', '[lease] lapsed')))
  await runs.settle()
  await new Promise((resolve) => setImmediate(resolve))
  expect(lines.map((l) => [l.level, l.msg])).toEqual([
    [50, '[runtime] run failed'],
    [40, '[runtime] run left to the current leader: this instance no longer leads'],
  ])
})
