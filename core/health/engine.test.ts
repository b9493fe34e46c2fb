import { describe, expect, it } from 'vitest'
import type { TandemEvent } from '../events/index.ts'
import { Config, createInventory } from '../inventory/index.ts'
import type { LiveFacts } from '../plugin/index.ts'
import { type CheckTarget, type ProbeStatus, planTargets } from '../probe/index.ts'
import { createHealthEngine, type HealthEngine } from './engine.ts'
import type { HealthRow } from './rows.ts'

function setup(over: Record<string, unknown> = {}) {
  const inventory = createInventory(
    Config.parse({
      monitor: { node_down_quorum: 2, flap: { window: 10, high: 50, low: 25 } },
      nodes: [
        {
          name: 'director',
          address: '127.0.1.10',
          roles: ['director', 'monitor'],
          checks: [{ name: 'members', kind: 'lab.membership' }],
        },
        {
          name: 'switch',
          address: '127.0.1.30',
          checks: [{ name: 'icmp', kind: 'ping', rise: 1, fall: 2 }],
        },
        ...['node1', 'node2', 'node3'].map((name, i) => ({
          name,
          address: `127.0.1.${i + 1}`,
          depends_on: name === 'node3' ? ['switch'] : [],
          checks: [{ name: 'ssh', kind: 'tcp', port: 22, rise: 2, fall: 3 }],
        })),
      ],
      services: [
        {
          name: 'web',
          lvs: { director: 'director', address: '127.0.2.1', port: 80 },
          real_servers: ['node1', 'node2', 'node3'].map((node) => ({ node, port: 8080 })),
          min_healthy: 2,
          checks: [{ name: 'http', kind: 'http', rise: 2, fall: 3 }],
        },
      ],
      ...over,
    }),
  )
  const targets = planTargets(inventory)
  return { inventory, targets }
}

/** Drives an engine with results, one batch per round, and collects every event. */
class Driver {
  now = 1_000_000
  events: TandemEvent[] = []
  rows = 0
  /** The latest row per target, as the store keeps them. */
  stored = new Map<string, HealthRow>()
  constructor(readonly engine: HealthEngine) {}

  round(
    results: Record<
      string,
      ProbeStatus | { status: ProbeStatus; data: Record<string, unknown>; facts?: LiveFacts }
    >,
  ): TandemEvent[] {
    this.now += 1000
    const batch = Object.entries(results).map(([id, r]) => {
      const { status, data, facts } =
        typeof r === 'string' ? { status: r, data: undefined, facts: undefined } : r
      return {
        target: { id },
        result: {
          status,
          latencyMs: 1,
          detail: status,
          ...(data ? { data } : {}),
          ...(facts ? { facts } : {}),
        },
        at: this.now,
      }
    })
    const changes = this.engine.observe(batch, this.now)
    this.events.push(...changes.events)
    this.rows += changes.rows.length
    for (const row of changes.rows) this.stored.set(row.target, row)
    return changes.events
  }

  rounds(n: number, results: Parameters<Driver['round']>[0]): TandemEvent[] {
    const out: TandemEvent[] = []
    for (let i = 0; i < n; i++) out.push(...this.round(results))
    return out
  }
}

const healthy = (targets: CheckTarget[]) =>
  Object.fromEntries(
    targets.map((t) => [
      t.id,
      t.check.kind === 'lab.membership'
        ? {
            status: 'ok' as const,
            data: {
              quorate: true,
              members: ['node1', 'node2', 'node3'].map((name) => ({ name, online: true })),
            },
          }
        : ('ok' as const),
    ]),
  )
/** The switch and node3 behind it stop answering; everything else stays as it is. */
const switchCut = (all: ReturnType<typeof healthy>) =>
  ({
    ...all,
    'node/switch/icmp': 'timeout',
    'node/node3/ssh': 'timeout',
    'web/node3/http': 'timeout',
  }) as const
const types = (events: TandemEvent[]) => events.map((e) => `${e.type} ${e.subject}`)

describe('health engine', () => {
  it('confirms a failure after `fall` results, with evidence, and a recovery after `rise`', () => {
    const { inventory, targets } = setup()
    const d = new Driver(createHealthEngine({ inventory, targets }))
    expect(d.rounds(2, healthy(targets))).toEqual([]) // unknown → up is written, not announced
    const all = healthy(targets)
    expect(d.rounds(2, { ...all, 'web/node1/http': 'critical' })).toEqual([])
    const soft = d.engine.snapshot().checks.find((c) => c.id === 'web/node1/http')!
    expect([soft.state, soft.hard, soft.stateType]).toEqual(['up', 'up', 'soft'])
    const [failed] = d.round({ ...all, 'web/node1/http': 'critical' })
    expect(failed).toMatchObject({
      type: 'check.failed',
      subject: 'web/node1/http',
      labels: { severity: 'warning', node: 'node1', service: 'web', check: 'http' },
      payload: {
        from: 'up',
        to: 'down',
        attempts: 3,
        threshold: 3,
        port: 8080,
        address: '127.0.1.1',
      },
    })
    expect((failed!.payload.evidence as unknown[]).length).toBe(3)
    expect(d.round(all)).toEqual([])
    expect(types(d.round(all))).toEqual(['check.recovered web/node1/http'])
  })

  it('writes nothing at all in steady state', () => {
    const { inventory, targets } = setup()
    const d = new Driver(createHealthEngine({ inventory, targets }))
    d.rounds(3, healthy(targets))
    const warm = d.rows
    expect(warm).toBeGreaterThan(0)
    expect(d.rounds(500, healthy(targets))).toEqual([])
    expect(d.rows).toBe(warm)
  })

  it('derives service health from real servers: up, degraded below min_healthy, down', () => {
    const { inventory, targets } = setup()
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    d.rounds(2, all)
    expect(types(d.rounds(3, { ...all, 'web/node1/http': 'critical' }))).toEqual([
      'check.failed web/node1/http',
    ])
    const both = { ...all, 'web/node1/http': 'critical', 'web/node2/http': 'timeout' } as const
    const degraded = d.rounds(3, both)
    expect(types(degraded)).toEqual(['check.failed web/node2/http', 'service.degraded web'])
    expect(degraded[1]!.payload).toMatchObject({
      healthy: 1,
      total: 3,
      minHealthy: 2,
      from: 'up',
      to: 'degraded',
    })
    expect(types(d.rounds(3, { ...both, 'web/node3/http': 'critical' }))).toEqual([
      'check.failed web/node3/http',
      'service.down web',
    ])
    expect(types(d.rounds(2, all))).toEqual([
      'check.recovered web/node1/http',
      'check.recovered web/node2/http',
      'check.recovered web/node3/http',
      'service.up web',
    ])
  })

  it('calls a node down only when the quorum of vantage points agrees, and says who voted', () => {
    const { inventory, targets } = setup()
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    d.rounds(2, all)
    // The monitor's own ssh check fails: one vantage point of three, no verdict.
    const sshDown = { ...all, 'node/node2/ssh': 'critical' } as const
    expect(types(d.rounds(5, sshDown))).toEqual(['check.failed node/node2/ssh'])
    expect(d.engine.snapshot().nodes.find((n) => n.name === 'node2')!.state).toBe('up')
    // The cluster says node2 left: two of three.
    const offline = {
      status: 'ok' as const,
      data: {
        quorate: true,
        members: [
          { name: 'node1', online: true },
          { name: 'node2', online: false },
          { name: 'node3', online: true },
        ],
      },
    }
    const [down] = d.round({ ...sshDown, 'node/director/members': offline })
    expect(down).toMatchObject({
      type: 'node.down',
      subject: 'node2',
      labels: { severity: 'critical', node: 'node2' },
      payload: {
        from: 'up',
        to: 'down',
        quorum: { required: 2, down: 2, up: 1, vantagePoints: 3 },
      },
    })
    expect(
      (down!.payload.votes as { vantage: string; verdict: string }[]).map(
        (v) => `${v.vantage}=${v.verdict}`,
      ),
    ).toEqual(['monitor=down', 'services=up', 'cluster:node/director/members=down'])
    expect(types(d.rounds(2, all))).toEqual(['node.up node2', 'check.recovered node/node2/ssh'])
  })

  it('ignores the membership view of an inquorate partition', () => {
    const { inventory, targets } = setup()
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    d.rounds(2, all)
    const inquorate = {
      status: 'ok' as const,
      data: { quorate: false, members: [{ name: 'node2', online: false }] },
    }
    const events = d.rounds(4, {
      ...all,
      'node/node2/ssh': 'critical',
      'node/director/members': inquorate,
    })
    expect(types(events)).toEqual(['check.failed node/node2/ssh'])
  })

  it('marks children of a down parent unreachable and holds their failures, not down', () => {
    const { inventory, targets } = setup({ monitor: { node_down_quorum: 1 } })
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    d.rounds(2, all)
    // The switch and everything behind it (node3) stop answering in the same instant.
    const cut = switchCut(all)
    const first = d.round(cut) // switch: 1 of fall 2; node3: 1 of fall 3
    expect(first).toEqual([])
    const events = d.rounds(4, cut)
    expect(types(events)).toEqual([
      'node.down switch',
      'check.failed node/switch/icmp',
      'node.unreachable node3',
    ])
    expect(events[2]!.payload).toMatchObject({ parentsDown: ['switch'], to: 'unreachable' })
    const node3 = d.engine
      .snapshot()
      .checks.filter((c) => c.node === 'node3')
      .map((c) => c.state)
    expect(node3).toEqual(['unreachable', 'unreachable'])
    // Service web keeps node1 and node2, its min_healthy: still up.
    expect(d.engine.snapshot().services[0]!.state).toBe('up')
    // The switch answers again before node3's checks ran again: node3's old failures
    // predate the path coming back and prove nothing.
    expect(types(d.round({ 'node/switch/icmp': 'ok' }))).toEqual([
      'node.up switch',
      'check.recovered node/switch/icmp',
    ])
    expect(d.engine.snapshot().nodes.find((n) => n.name === 'node3')!.state).toBe('unreachable')
    // Fresh results: node3 itself is dead after all. Now it is down, not unreachable.
    const dead = { ...all, 'node/node3/ssh': 'timeout', 'web/node3/http': 'timeout' } as const
    expect(types(d.round(dead))).toEqual([
      'node.down node3',
      'check.failed node/node3/ssh',
      'check.failed web/node3/http',
    ])
    expect(types(d.rounds(2, all))).toEqual([
      'node.up node3',
      'check.recovered node/node3/ssh',
      'check.recovered web/node3/http',
    ])
  })

  it('brings children of a recovered parent back up without a false down', () => {
    const { inventory, targets } = setup({ monitor: { node_down_quorum: 1 } })
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    d.rounds(2, all)
    const cut = switchCut(all)
    d.rounds(5, cut)
    expect(types(d.rounds(3, all))).toEqual([
      'node.up switch',
      'node.up node3',
      'check.recovered node/switch/icmp',
    ])
  })

  it("detects flapping, holds the check's events while it lasts and catches up when it stops", () => {
    const { inventory, targets } = setup({ monitor: { flap: { window: 10, high: 30, low: 15 } } })
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    d.rounds(2, all)
    // Down after 3 failures, up after 2 passes, again and again.
    const events: TandemEvent[] = []
    for (let i = 0; i < 4; i++) {
      events.push(...d.rounds(3, { ...all, 'web/node1/http': 'critical' }))
      events.push(...d.rounds(2, all))
    }
    const start = events.findIndex((e) => e.type === 'flapping.start')
    expect(start).toBeGreaterThan(0)
    expect(events[start]).toMatchObject({
      subject: 'web/node1/http',
      labels: { severity: 'warning', service: 'web' },
      payload: { high: 30, low: 15, window: 10, state: 'up' },
    })
    expect(types(events.slice(0, start))).toEqual([
      'check.failed web/node1/http',
      'check.recovered web/node1/http',
    ])
    expect(events.slice(start + 1)).toEqual([])
    // It settles (failed): flapping stops and the state it ended in is announced once.
    const after = d.rounds(12, { ...all, 'web/node1/http': 'critical' })
    expect(types(after)).toEqual(['flapping.stop web/node1/http', 'check.failed web/node1/http'])
    expect(d.engine.snapshot().checks.find((c) => c.id === 'web/node1/http')).toMatchObject({
      state: 'down',
      flapping: false,
    })
  })

  it('goes blind when most targets fail at once, holds new failures, and sees again', () => {
    const { inventory, targets } = setup()
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    d.rounds(2, all)
    const dark = Object.fromEntries(targets.map((t) => [t.id, 'timeout' as const]))
    const [blind, ...rest] = d.round(dark)
    expect(blind).toMatchObject({
      type: 'monitor.blind',
      labels: { severity: 'critical' },
      payload: { failing: 8, total: 8, threshold: 0.5, nodes: 5 },
    })
    expect(rest).toEqual([])
    expect(d.engine.blind).toBe(true)
    expect(d.rounds(5, dark)).toEqual([]) // no wave of node.down / check.failed from a blind monitor
    expect(types(d.round(all))).toEqual(['monitor.sighted monitor'])
    expect(d.engine.blind).toBe(false)
  })

  // Regression (issue 16): a restarted daemon called itself blind on its first second of answers
  // (the refused connections of one dead node came back before the healthy replies), and the
  // failover it had to resume was refused as monitor_blind.
  it('judges blindness only once every probed check has answered since the start', () => {
    const { inventory, targets } = setup()
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    const early = {
      'node/node2/ssh': 'critical',
      'web/node2/http': 'critical',
      'node/node3/ssh': 'critical',
      'node/node1/ssh': 'ok',
    } as const
    expect(types(d.round(early))).toEqual([])
    expect(d.engine.blind).toBe(false)
    // The rest answer, healthy: 3 of 8 fail, no verdict of blindness ever comes.
    const rest = { ...all, ...early }
    expect(types(d.round(rest)).filter((t) => t.startsWith('monitor'))).toEqual([])
    expect(d.engine.blind).toBe(false)
  })

  it('a blind verdict restored from the store holds until the full first sample, then clears', () => {
    const { inventory, targets } = setup()
    const monitorRow: HealthRow = {
      target: 'monitor',
      kind: 'monitor',
      state: 'down',
      stateType: 'hard',
      flapping: false,
      since: 1,
      detail: null,
      flapHistory: null,
      updatedAt: 1,
    }
    const all = healthy(targets)
    const d = new Driver(createHealthEngine({ inventory, targets, restore: [monitorRow] }))
    expect(d.engine.blind).toBe(true)
    const [first, ...others] = Object.keys(all)
    expect(d.round({ [first as string]: all[first as string]! })).toEqual([])
    expect(d.engine.blind).toBe(true)
    const rest = Object.fromEntries(others.map((id) => [id, all[id]!]))
    expect(types(d.round(rest))).toContain('monitor.sighted monitor')
    expect(d.engine.blind).toBe(false)
  })

  // Regression (issue 18, the newcomer's demo): once node2 was judged down, its own failing
  // checks plus a few slow answers elsewhere made tandem call itself blind, and the rest of
  // node2's failover (the guest restart) was refused until node2 came back.
  it('leaves a node already judged down out of the blind count, and still sees a real blackout', () => {
    const { inventory, targets } = setup()
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    d.rounds(2, all)
    const node2Dead = {
      ...all,
      'node/node2/ssh': 'critical',
      'web/node2/http': 'critical',
    } as const
    expect(types(d.rounds(3, node2Dead))).toContain('node.down node2')
    // Three slow answers on two other nodes: 5 of 8 fail, but node2's are a dead node's.
    const slow = {
      ...node2Dead,
      'node/director/members': 'timeout',
      'node/switch/icmp': 'timeout',
      'web/node1/http': 'timeout',
    } as const
    expect(types(d.round(slow)).filter((t) => t.startsWith('monitor'))).toEqual([])
    expect(d.engine.blind).toBe(false)
    // Everything else goes dark too: that is still blindness, and the notice's numbers are the
    // ones it was judged on (node2's two checks are a dead node's, not counted).
    const dark = Object.fromEntries(targets.map((t) => [t.id, 'timeout' as const]))
    const blind = d.round(dark).find((e) => e.type === 'monitor.blind')
    expect(blind?.payload).toMatchObject({ failing: 6, total: 6, fraction: 1, nodes: 4 })
  })

  // Regression (issue 16, crash-points and scale-pause): blind from a burst of timeouts just as
  // node2 died, the monitor never saw again while node2 stayed dead: node2's own checks plus one
  // unrelated failure were above the hysteresis, and a blind monitor never judged node2 down.
  it('a single dead node does not keep the monitor blind: it sees again and judges the node down', () => {
    const { inventory, targets } = setup()
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    d.rounds(2, all)
    const dark = Object.fromEntries(targets.map((t) => [t.id, 'timeout' as const]))
    expect(types(d.round(dark))).toContain('monitor.blind monitor')
    // The burst ends; node2 stays dead and two slow answers on other nodes still fail: 4 of 8.
    const node2Dead = {
      ...all,
      'node/node2/ssh': 'critical',
      'web/node2/http': 'critical',
      'web/node1/http': 'timeout',
      'web/node3/http': 'timeout',
    } as const
    const seen = types(d.rounds(5, node2Dead))
    expect(seen).toContain('monitor.sighted monitor')
    expect(seen).toContain('node.down node2')
    expect(seen.filter((t) => t.startsWith('node.'))).toEqual(['node.down node2'])
    // Several dark nodes are still blindness: 5 of 8 on node1, node3 and the switch.
    const cut = {
      ...all,
      'node/node1/ssh': 'timeout',
      'web/node1/http': 'timeout',
      'node/node3/ssh': 'timeout',
      'web/node3/http': 'timeout',
      'node/switch/icmp': 'timeout',
    } as const
    const e = new Driver(createHealthEngine({ inventory, targets }))
    e.rounds(2, all)
    expect(types(e.round(cut))).toContain('monitor.blind monitor')
  })

  it('a sharded engine judges blindness on the checks it probes, not on all of them', () => {
    const { inventory, targets } = setup()
    const mine = targets.filter((t) => t.id.includes('node1') || t.id.includes('node2'))
    const d = new Driver(createHealthEngine({ inventory, targets, probed: mine.map((t) => t.id) }))
    const dark = Object.fromEntries(mine.map((t) => [t.id, 'timeout' as const]))
    expect(types(d.round(dark))).toEqual(['monitor.blind monitor'])
  })

  it('resumes from stored rows without announcing what was already announced', () => {
    const { inventory, targets } = setup()
    const first = createHealthEngine({ inventory, targets })
    const d1 = new Driver(first)
    const all = healthy(targets)
    d1.rounds(2, all)
    const failing = { ...all, 'web/node1/http': 'critical' } as const
    d1.rounds(3, failing)
    const rows = new Map<string, ReturnType<HealthEngine['observe']>['rows'][number]>()
    // Replay every row the first engine produced, last one wins (as the store keeps them).
    const replay = createHealthEngine({ inventory, targets })
    const d0 = new Driver(replay)
    for (const r of [all, all, failing, failing, failing]) {
      d0.now += 1000
      const batch = Object.entries(r).map(([id, s]) => ({
        target: { id },
        result:
          typeof s === 'string'
            ? { status: s, latencyMs: 1, detail: '' }
            : { ...s, latencyMs: 1, detail: '' },
        at: d0.now,
      }))
      for (const row of replay.observe(batch, d0.now).rows) rows.set(row.target, row)
    }
    const restarted = new Driver(
      createHealthEngine({ inventory, targets, restore: [...rows.values()] }),
    )
    expect(restarted.rounds(4, failing)).toEqual([])
    expect(types(restarted.rounds(2, all))).toEqual(
      ['check.recovered web/node1/http', 'service.up web'].slice(0, 1),
    )
  })

  it('stores soft steps, so a new engine (a restart, a serverless tick) keeps counting', () => {
    const { inventory, targets } = setup()
    const first = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    const rows = new Map<string, HealthRow>()
    const keep = (changes: { rows: HealthRow[] }) => {
      for (const row of changes.rows) rows.set(row.target, row)
    }
    const feed = (engine: HealthEngine, results: Parameters<Driver['round']>[0]) => {
      first.now += 1000
      const batch = Object.entries(results).map(([id, r]) => ({
        target: { id },
        result:
          typeof r === 'string'
            ? { status: r, latencyMs: 1, detail: r }
            : { ...r, latencyMs: 1, detail: '' },
        at: first.now,
      }))
      const changes = engine.observe(batch, first.now)
      keep(changes)
      return changes
    }
    feed(first.engine, all)
    feed(first.engine, all)
    const failing = { ...all, 'web/node1/http': 'critical' } as const
    feed(first.engine, failing)
    const soft = feed(first.engine, failing).rows.find((r) => r.target === 'web/node1/http')
    expect(soft).toMatchObject({ state: 'up', stateType: 'soft', detail: { fails: 2 } })
    // A fresh engine from the stored rows: one more failure completes fall = 3.
    const second = createHealthEngine({ inventory, targets, restore: [...rows.values()] })
    const changes = feed(second, failing)
    expect(types(changes.events)).toEqual(['check.failed web/node1/http'])
    expect(changes.rows.find((r) => r.target === 'web/node1/http')).toMatchObject({
      state: 'down',
      stateType: 'hard',
    })
    // Failing on and on writes the flap history until the window (10) holds no change: the
    // 10th failure stores the settled history, and then nothing more is written.
    for (let i = 0; i < 6; i++) feed(second, failing)
    expect(feed(second, failing).rows).toMatchObject([{ flapHistory: '0000000000' }])
    expect(feed(second, failing).rows).toEqual([])
  })

  it('a node stored down does not come back on a restored check state: only on a result seen since', () => {
    const { inventory, targets } = setup()
    const all = healthy(targets)
    const offline = {
      status: 'ok' as const,
      data: {
        quorate: true,
        members: ['node1', 'node2', 'node3'].map((name) => ({ name, online: name !== 'node2' })),
      },
    }
    const first = new Driver(createHealthEngine({ inventory, targets }))
    first.rounds(2, all)
    // node2 dies: the cluster sees it at once, its http check fails from the first round, its
    // ssh check one round later. The third round makes http hard down: node2 is down (cluster
    // and services), while ssh is still a soft failure (stored as up, fails = 2).
    const dying = { ...all, 'node/director/members': offline, 'web/node2/http': 'timeout' } as const
    first.round(dying)
    first.round({ ...dying, 'node/node2/ssh': 'timeout' })
    expect(types(first.round({ ...dying, 'node/node2/ssh': 'timeout' }))).toContain(
      'node.down node2',
    )
    expect(first.stored.get('node/node2/ssh')).toMatchObject({ state: 'up', detail: { fails: 2 } })
    // Killed before ssh's third failure was stored. The next instance resumes from the rows
    // (at a restart, or taking the node's checks over from the dead one) and hears from http
    // before anything else: the stored "up" of ssh is no evidence that node2 answers now.
    for (const restore of ['restart', 'adopt'] as const) {
      const rows = [...first.stored.values()]
      const engine =
        restore === 'restart'
          ? createHealthEngine({ inventory, targets, restore: rows })
          : createHealthEngine({ inventory, targets })
      if (restore === 'adopt')
        engine.adopt(
          targets.map((t) => t.id),
          rows,
        )
      const next = new Driver(engine)
      next.now = first.now
      expect(types(next.round({ 'web/node2/http': 'timeout' })), restore).toEqual([])
      // Its own third failure then makes ssh hard down, still no node event (node2 stays down).
      expect(types(next.round({ 'node/node2/ssh': 'timeout' })), restore).toEqual([
        'check.failed node/node2/ssh',
      ])
    }
  })

  it('a check taken over resumes from the stored rows, not from what this engine saw before', () => {
    const { inventory, targets } = setup()
    const all = healthy(targets)
    const failing = { ...all, 'web/node1/http': 'critical' } as const
    const owner = new Driver(createHealthEngine({ inventory, targets }))
    for (const results of [all, all, failing, failing]) owner.round(results)
    // This engine last saw the check healthy (fails = 0); the owner counted two failures.
    const taker = new Driver(createHealthEngine({ inventory, targets }))
    taker.now = owner.now
    taker.rounds(3, all)
    taker.engine.adopt(['web/node1/http', 'web/node2/http'], [...owner.stored.values()])
    expect(types(taker.round(failing))).toEqual(['check.failed web/node1/http'])
  })

  it('keeps the cluster row (quorum and live members) as the freshest membership view says', () => {
    const { inventory, targets } = setup()
    const d = new Driver(createHealthEngine({ inventory, targets }))
    const all = healthy(targets)
    const cluster = (changes: { rows: HealthRow[] }) =>
      changes.rows.find((r) => r.target === 'cluster')
    const view = (quorate: boolean | null, members: string[]) => ({
      status: quorate === false ? ('critical' as const) : ('ok' as const),
      data: {
        quorate,
        members,
        nodes: ['node1', 'node2', 'node3'].map((name) => ({
          name,
          online: members.includes(name),
        })),
      },
    })
    const rows: (HealthRow | undefined)[] = []
    const step = (members: ReturnType<typeof view>) => {
      d.now += 1000
      const batch = [
        {
          target: { id: 'node/director/members' },
          result: { ...members, latencyMs: 1, detail: '' },
          at: d.now,
        },
      ]
      rows.push(cluster(d.engine.observe(batch, d.now)))
    }
    d.round(all)
    step(view(true, ['node1', 'node2', 'node3'])) // same as the first round: no new row
    step(view(true, ['node1', 'node3']))
    step(view(false, ['node1']))
    step(view(null, []))
    expect(rows.map((r) => r && [r.state, (r.detail as { members: string[] }).members])).toEqual([
      undefined,
      ['up', ['node1', 'node3']],
      ['down', ['node1']],
      ['unknown', []],
    ])
  })

  it('raises service.stopped once when db runs nowhere while its last owner is back, service.started when it runs again', () => {
    const web = {
      name: 'web',
      lvs: { director: 'director', address: '127.0.2.1', port: 80 },
      real_servers: ['node1', 'node2', 'node3'].map((node) => ({ node, port: 8080 })),
      checks: [{ name: 'http', kind: 'http', rise: 2, fall: 3 }],
    }
    const db = { name: 'db', cluster: { rgmanager: { service: 'db' }, preferred: ['node2'] } }
    const { inventory, targets } = setup({ services: [web, db] })
    const all = healthy(targets)
    /** clustat as the director sees it: who is online, and where db runs (or last ran). */
    const cluster = (online: string[], owner: string | null, state: string) => ({
      status: 'ok' as const,
      data: {
        quorate: true,
        members: ['node1', 'node2', 'node3'].map((name) => ({
          name,
          online: online.includes(name),
        })),
      },
      facts: { placement: { db: { owner, lastOwner: 'node2', state } } },
    })
    const seen = (d: Driver, n: number, members: ReturnType<typeof cluster>, down = false) =>
      types(
        d.rounds(n, {
          ...all,
          ...(down ? { 'node/node2/ssh': 'timeout', 'web/node2/http': 'timeout' } : {}),
          'node/director/members': members,
        }),
      ).filter((t) => t.startsWith('service.'))
    const d = new Driver(createHealthEngine({ inventory, targets }))
    expect(seen(d, 2, cluster(['node1', 'node2', 'node3'], 'node2', 'started'))).toEqual([])
    // node2 crashes: rgmanager stops db for recovery. Not back: node-down-failover's, after a fence.
    expect(seen(d, 1, cluster(['node1', 'node3'], null, 'stopped'), true)).toEqual([])
    // node2 rejoins before health ever judged it down, and db stays stopped.
    const back = cluster(['node1', 'node2', 'node3'], null, 'stopped')
    const [stopped, ...again] = d.rounds(3, { ...all, 'node/director/members': back })
    expect(again.filter((e) => e.type.startsWith('service.'))).toEqual([])
    expect(stopped).toMatchObject({
      type: 'service.stopped',
      subject: 'db',
      labels: { severity: 'critical', service: 'db', node: 'node2' },
    })
    // A restart neither raises it again nor forgets to end it.
    const restarted = new Driver(
      createHealthEngine({ inventory, targets, restore: [...d.stored.values()] }),
    )
    restarted.now = d.now
    expect(seen(restarted, 2, back)).toEqual([])
    expect(seen(restarted, 2, cluster(['node1', 'node2', 'node3'], 'node2', 'started'))).toEqual([
      'service.started db',
    ])
    // Disabled by a person, or failed: not for tandem to start.
    for (const state of ['disabled', 'failed'])
      expect(seen(restarted, 2, cluster(['node1', 'node2', 'node3'], null, state))).toEqual([])
  })

  it('warns about nodes that can never reach the node-down quorum', () => {
    const { inventory, targets } = setup({ monitor: { node_down_quorum: 3 } })
    const engine = createHealthEngine({
      inventory,
      targets: targets.filter((t) => t.check.kind !== 'lab.membership'),
    })
    expect(engine.warnings).toEqual([
      '[health] node switch has fewer vantage points than monitor.node_down_quorum (3): it will never be declared down; its checks still report',
      '[health] node node1 has fewer vantage points than monitor.node_down_quorum (3): it will never be declared down; its checks still report',
      '[health] node node2 has fewer vantage points than monitor.node_down_quorum (3): it will never be declared down; its checks still report',
      '[health] node node3 has fewer vantage points than monitor.node_down_quorum (3): it will never be declared down; its checks still report',
    ])
  })
})
