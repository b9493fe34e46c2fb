// The reconcile diff: fewest commands, capacity added before it is removed, unmodelled settings kept.
import { describe, expect, it } from 'vitest'
import type { IpvsTable, LiveServer } from './model.ts'
import { parseSave } from './parse.ts'
import { planReconcile } from './reconcile-plan.ts'
import type { LvsTarget } from './targets.ts'

const ref = { protocol: 'tcp' as const, address: '127.0.2.10', port: 80 }
const server = (address: string, more: Partial<LiveServer> = {}) => ({
  address,
  port: 80,
  forwarding: 'route' as const,
  weight: 2,
  upper: 0,
  lower: 0,
  tunnel: null,
  ...more,
})
const web: LvsTarget = {
  name: 'web',
  director: 'lb',
  service: {
    ref,
    scheduler: 'wrr',
    persistence: null,
    netmask: null,
    pe: null,
    ops: false,
    schedFlags: null,
  },
  servers: [
    { node: 'a', server: server('127.0.3.1'), thresholdsDeclared: false },
    { node: 'b', server: server('127.0.3.2', { upper: 50, lower: 5 }), thresholdsDeclared: true },
  ],
  sorry: server('127.0.3.9', { weight: 1 }),
}
const plan = (table: IpvsTable, keepDrained = false, prune = false) =>
  planReconcile([web], table, { prune, keepDrained }).map((c) => `${c.args.join(' ')} # ${c.note}`)

describe('planReconcile', () => {
  it('builds a missing service and its servers, and nothing when the table matches', () => {
    expect(plan([])).toEqual([
      '-A -t 127.0.2.10:80 -s wrr # web: add virtual service -t 127.0.2.10:80 (wrr)',
      '-a -t 127.0.2.10:80 -r 127.0.3.1:80 -g -w 2 # web: add a 127.0.3.1:80 (route, weight 2)',
      '-a -t 127.0.2.10:80 -r 127.0.3.2:80 -g -w 2 -x 50 -y 5 # web: add b 127.0.3.2:80 (route, weight 2)',
    ])
    const table = parseSave(`-A -t 127.0.2.10:80 -s wrr
-a -t 127.0.2.10:80 -r 127.0.3.1:80 -g -w 2
-a -t 127.0.2.10:80 -r 127.0.3.2:80 -g -w 2
`)
    Object.assign(table[0]?.servers[1] ?? {}, { upper: 50, lower: 5 })
    expect(plan(table)).toEqual([])
  })

  it('keeps thresholds the inventory leaves open, and flags it cannot keep across schedulers', () => {
    const table = parseSave(`-A -t 127.0.2.10:80 -s sh -b sh-port,flag-3
-a -t 127.0.2.10:80 -r 127.0.3.1:80 -g -w 7
-a -t 127.0.2.10:80 -r 127.0.3.2:80 -g -w 2
`)
    Object.assign(table[0]?.servers[0] ?? {}, { upper: 30, lower: 3 })
    Object.assign(table[0]?.servers[1] ?? {}, { upper: 50, lower: 5 })
    expect(plan(table)).toEqual([
      '-E -t 127.0.2.10:80 -s wrr -b flag-3 # web: scheduler sh → wrr',
      '-e -t 127.0.2.10:80 -r 127.0.3.1:80 -g -w 2 -x 30 -y 3 # web: a 127.0.3.1:80 weight 7 → 2',
    ])
  })

  it('adds before it removes; keep_drained leaves drains and the sorry server alone', () => {
    const table = parseSave(`-A -t 127.0.2.10:80 -s wrr
-a -t 127.0.2.10:80 -r 127.0.3.1:80 -g -w 0
-a -t 127.0.2.10:80 -r 127.0.3.9:80 -g -w 1
-a -t 127.0.2.10:80 -r 127.0.3.66:80 -g -w 1
-A -t 127.0.2.99:80 -s rr
`)
    expect(plan(table, true, true)).toEqual([
      '-a -t 127.0.2.10:80 -r 127.0.3.2:80 -g -w 2 -x 50 -y 5 # web: add b 127.0.3.2:80 (route, weight 2)',
      '-d -t 127.0.2.10:80 -r 127.0.3.66:80 # web: remove undeclared real server 127.0.3.66:80',
      '-D -t 127.0.2.99:80 # delete -t 127.0.2.99:80: not in the inventory',
    ])
    expect(plan(table)).toContain(
      '-e -t 127.0.2.10:80 -r 127.0.3.1:80 -g -w 2 # web: a 127.0.3.1:80 weight 0 → 2',
    )
    expect(plan(table)).toContain(
      '-d -t 127.0.2.10:80 -r 127.0.3.9:80 # web: remove sorry server 127.0.3.9:80',
    )
  })
})
