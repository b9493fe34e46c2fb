import { describe, expect, it } from 'vitest'
import { compile, demo, event } from '../../test/policy/fixtures.ts'
import type { TandemEvent } from '../events/index.ts'
import { simulate } from './simulate.ts'

const failover = (forSeconds: number, guards = '') => `name: failover
on: { event: node.down, node: "node*" }
if: health.quorate
for: ${forSeconds}s
steps:
  - uses: fence.fence
    with: { node: "\${{ event.subject }}" }
  - uses: lvs.drain
    foreach: >-
      \${{ inventory.nodes[event.subject].real_servers
          .filter(r, inventory.services[r.service].director != "") }}
    with: { service: "\${{ item.service }}", node: "\${{ item.node }}" }
${guards}`

const day = 86_400_000
const t0 = Date.parse('2024-05-01T00:00:00Z')
const outage = (node: string, at: number, seconds: number): TandemEvent[] => [
  event('node.down', node, {}, at),
  event('node.up', node, {}, at + seconds * 1000),
]

async function run(events: TandemEvent[], candidate: string, baseline?: string, window = {}) {
  const { inventory, registry } = await demo()
  return simulate({
    ...window,
    events,
    candidate: [await compile(candidate)],
    baseline: baseline === undefined ? undefined : [await compile(baseline)],
    inventory,
    registry,
  })
}

describe('simulate', () => {
  const week = [
    ...outage('node3', t0 + 1 * day, 30),
    ...outage('node2', t0 + 2 * day, 5),
    ...outage('node3', t0 + 4 * day, 45),
  ]

  it('says what a shorter for: would have done last week: fenced node3 twice', async () => {
    const report = await run(week, failover(20), failover(60))
    expect(report.baseline?.runs).toEqual([])
    expect(
      report.candidate.runs.map((r) => [
        r.at - t0,
        r.policy,
        r.outcome,
        r.actions.map((a) => a.label),
      ]),
    ).toEqual([
      [1 * day + 20_000, 'failover', 'run', ['fence.fence node3', 'lvs.drain web/node3']],
      [4 * day + 20_000, 'failover', 'run', ['fence.fence node3', 'lvs.drain web/node3']],
    ])
    expect(report.differences.map((d) => d.sentence)).toEqual([
      'this change would have fenced node3 twice (before: never)',
      'this change would have drained node3 from web twice (before: never)',
    ])
    expect(
      report.changedEvents.map((c) => [c.event.type, c.event.subject, c.baseline, c.candidate]),
    ).toEqual([
      ['node.down', 'node3', '-', 'failover: 2 action(s)'],
      ['node.down', 'node3', '-', 'failover: 2 action(s)'],
    ])
  })

  it('honours cooldown and max_fences in the replay; a cooldown defers, and node.up ends the deferral', async () => {
    const flapping = [0, 1, 2, 3, 4, 5, 6].flatMap((i) => outage('node3', t0 + i * 5 * 60_000, 60))
    const report = await run(
      flapping,
      failover(20, 'guards: { cooldown: 15m, max_fences: { count: 2, window: 1h } }'),
    )
    const minutes = (at: number | undefined) => (at === undefined ? undefined : (at - t0) / 60_000)
    expect(
      report.candidate.runs.map((r) => [
        minutes(r.at),
        r.outcome,
        r.blockedBy.map((v) => v.guard),
        minutes(r.deferredUntil),
      ]),
    ).toEqual([
      [1 / 3, 'run', [], undefined],
      // Each outage ends a minute later: node.up ends the deferred failover before it is due.
      [5 + 1 / 3, 'deferred', ['cooldown'], 15 + 1 / 3],
      [10 + 1 / 3, 'deferred', ['cooldown'], 15 + 1 / 3],
      [15 + 1 / 3, 'run', [], undefined],
      [20 + 1 / 3, 'deferred', ['cooldown', 'max_fences'], 30 + 1 / 3],
      [25 + 1 / 3, 'deferred', ['cooldown', 'max_fences'], 30 + 1 / 3],
      [30 + 1 / 3, 'blocked', ['max_fences'], undefined],
    ])
  })

  it('fires a deferred run when the cooldown ends while its failure still holds, as the executor does', async () => {
    // node3 fails, is failed over, comes back, and fails again for good 5 minutes later.
    const events = [...outage('node3', t0, 60), event('node.down', 'node3', {}, t0 + 5 * 60_000)]
    const report = await run(events, failover(20, 'guards: { cooldown: 15m }'), failover(20), {
      until: t0 + 60 * 60_000,
    })
    expect(
      report.candidate.runs.map((r) => [(r.at - t0) / 60_000, r.outcome, r.eventIndex]),
    ).toEqual([
      [1 / 3, 'run', 0],
      [5 + 1 / 3, 'deferred', 2],
      [15 + 1 / 3, 'run', 2],
    ])
    expect(report.differences).toEqual([])
    expect(report.changedEvents.map((c) => c.candidate)).toEqual([
      'failover: deferred by cooldown until 2024-05-01T00:15:20.000Z; failover: 2 action(s)',
    ])
  })

  it('fires schedule triggers at their minutes inside the window', async () => {
    const nightly =
      'name: nightly\non: { schedule: "0 3 * * *" }\nsteps:\n  - uses: lvs.reconcile\n'
    const report = await run(outage('node1', t0 + 2 * day, 10), nightly, undefined, {
      from: t0,
      until: t0 + 3 * day,
    })
    expect(report.candidate.runs.map((r) => new Date(r.at).toISOString())).toEqual([
      '2024-05-01T03:00:00.000Z',
      '2024-05-02T03:00:00.000Z',
      '2024-05-03T03:00:00.000Z',
    ])
  })
})
