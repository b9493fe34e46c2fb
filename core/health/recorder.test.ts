import { describe, expect, it } from 'vitest'
import type { TandemEvent } from '../events/index.ts'
import { events, healthStates, openStore } from '../store/index.ts'
import { createRecorder, isMonitorBlind, loadHealthRows } from './recorder.ts'
import type { HealthRow } from './rows.ts'

const row = (target: string, state: HealthRow['state'], at: number): HealthRow => ({
  target,
  kind: 'check',
  state,
  stateType: 'hard',
  flapping: false,
  since: at,
  detail: { status: state === 'up' ? 'ok' : 'critical' },
  flapHistory: null,
  updatedAt: at,
})
const event = (type: TandemEvent['type'], subject: string, at: number): TandemEvent => ({
  type,
  subject,
  at,
  labels: { severity: 'warning' },
  payload: {},
})

describe('recorder', () => {
  it('keeps transitions while the store refuses writes, then stores them in order, once', async () => {
    const store = await openStore(':memory:')
    // A real refusal from SQLite (as a full disk would give), lifted later.
    await store.client.execute(
      "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    )
    const errors: string[] = []
    const log = { debug() {}, info() {}, warn() {}, error: (msg: string) => void errors.push(msg) }
    const delivered: TandemEvent[] = []
    const recorder = createRecorder(store, log, (batch) => delivered.push(...batch))
    recorder.record({
      events: [event('check.failed', 'web/node1/http', 1)],
      rows: [row('web/node1/http', 'down', 1)],
    })
    await new Promise((r) => setTimeout(r, 100))
    recorder.record({
      events: [event('check.recovered', 'web/node1/http', 2)],
      rows: [row('web/node1/http', 'up', 2)],
    })
    expect(errors).toEqual(['[health] cannot write transitions; retrying'])
    expect(delivered).toEqual([])
    await store.client.execute('DROP TRIGGER refuse')
    await recorder.flush()
    const stored = await store.db.select().from(events)
    expect(stored.map((e) => e.type)).toEqual(['check.failed', 'check.recovered'])
    expect(delivered.map((e) => [e.id, e.type])).toEqual(stored.map((e) => [e.id, e.type]))
    // The later row for the same target wins; one row per target.
    expect((await store.db.select().from(healthStates)).map((r) => r.state)).toEqual(['up'])
    store.close()
  })

  it('reads the rows back for a restart, and the monitor row for the executor', async () => {
    const store = await openStore(':memory:')
    const recorder = createRecorder(store, { debug() {}, info() {}, warn() {}, error() {} })
    recorder.record({
      events: [event('monitor.blind', 'monitor', 5)],
      rows: [row('web/node1/http', 'down', 5), { ...row('monitor', 'down', 5), kind: 'monitor' }],
    })
    await recorder.flush()
    expect(await isMonitorBlind(store)).toBe(true)
    expect((await loadHealthRows(store)).map((r) => `${r.kind} ${r.target} ${r.state}`)).toEqual([
      'check web/node1/http down',
      'monitor monitor down',
    ])
    store.close()
  })
})
