// The loop's parts alone: verdicts on nodes, checks and services; the blind judgement; the cluster row.
import { describe, expect, it } from 'vitest'
import { Config, createInventory } from '../inventory/index.ts'
import { type ProbeStatus, planTargets } from '../probe/index.ts'
import { clusterRow } from './cluster-row.ts'
import { buildModel, type HealthModel } from './model.ts'
import { takeResults } from './results.ts'
import { judgeSight } from './sight.ts'
import { Transitions } from './transitions.ts'
import { judgeNodes, judgeService, publishCheck } from './verdicts.ts'

/** node1 and node2 behind a switch, each seen by its own ssh check and by web's http check. */
function model(): HealthModel {
  const inventory = createInventory(
    Config.parse({
      monitor: { node_down_quorum: 2, blind_threshold: 0.5 },
      nodes: [
        { name: 'director', address: '127.0.1.10', roles: ['director', 'monitor'] },
        {
          name: 'switch',
          address: '127.0.1.30',
          checks: [{ name: 'icmp', kind: 'ping', fall: 1 }],
        },
        ...['node1', 'node2', 'node3', 'node4'].map((name, i) => ({
          name,
          address: `127.0.1.${i + 1}`,
          depends_on: ['switch'],
          checks: [{ name: 'ssh', kind: 'tcp', port: 22, rise: 1, fall: 1 }],
        })),
      ],
      services: [
        {
          name: 'web',
          lvs: { director: 'director', address: '127.0.2.1', port: 80 },
          real_servers: ['node1', 'node2'].map((node) => ({ node, port: 8080 })),
          min_healthy: 2,
          checks: [{ name: 'http', kind: 'http', rise: 1, fall: 1 }],
        },
      ],
    }),
  )
  const m = buildModel(inventory, planTargets(inventory))
  for (const record of m.checks.values()) m.watch.expect(record)
  return m
}

/** Feeds results (check id → status) at `now`; returns the batch's transitions and what it touched. */
function feed(m: HealthModel, results: Record<string, ProbeStatus>, now: number) {
  const out = new Transitions(now)
  const batch = Object.entries(results).map(([id, status]) => ({
    target: { id },
    result: { status, latencyMs: 1, detail: status },
    at: now,
  }))
  return { out, taken: takeResults(m, batch, out, now) }
}

const allUp = {
  'node/switch/icmp': 'ok',
  'node/node1/ssh': 'ok',
  'node/node2/ssh': 'ok',
  'node/node3/ssh': 'ok',
  'node/node4/ssh': 'ok',
  'web/node1/http': 'ok',
  'web/node2/http': 'ok',
} as const

/** Judges every node and publishes every check, as observe() does after a sweeping change. */
function judgeAll(m: HealthModel, out: Transitions): void {
  const checks = new Set(m.checks.values())
  judgeNodes(m, new Set(m.nodes.values()), checks, out)
  for (const record of checks) publishCheck(m, record, out)
}

function eventTypes(out: Transitions): string[] {
  return out.result().events.map((event) => `${event.type} ${event.subject}`)
}

function settled(): HealthModel {
  const m = model()
  const { out } = feed(m, allUp, 1000)
  judgeAll(m, out)
  return m
}

describe('node verdicts', () => {
  it('calls a node down only when a quorum of its vantage points says so', () => {
    const m = settled()
    const one = feed(m, { 'node/node1/ssh': 'critical' }, 2000).out
    judgeAll(m, one)
    expect(m.nodes.get('node1')!.announced).toBe('up')
    const two = feed(m, { 'web/node1/http': 'critical' }, 3000).out
    judgeAll(m, two)
    expect(eventTypes(two)).toContain('node.down node1')
    expect(m.nodes.get('node1')!.announced).toBe('down')
  })

  it('holds a down verdict while the monitor is blind, and gives it once it sees again', () => {
    const m = settled()
    m.watch.blind = true
    const { out } = feed(m, { 'node/node1/ssh': 'critical', 'web/node1/http': 'critical' }, 2000)
    judgeAll(m, out)
    expect(eventTypes(out)).not.toContain('node.down node1')
    expect(m.heldNodes.has(m.nodes.get('node1')!)).toBe(true)
    expect(m.heldChecks.size).toBe(2)
    m.watch.blind = false
    const later = feed(m, { 'node/node1/ssh': 'critical', 'web/node1/http': 'critical' }, 3000).out
    judgeNodes(m, new Set(m.heldNodes), new Set(m.heldChecks), later)
    expect(eventTypes(later)).toContain('node.down node1')
  })

  it('calls the children of a down parent unreachable, not down, and their checks too', () => {
    const m = settled()
    const { out } = feed(
      m,
      {
        'node/switch/icmp': 'critical',
        'node/node1/ssh': 'critical',
        'web/node1/http': 'critical',
      },
      2000,
    )
    // The switch has one vantage point: it is judged by its check alone, below the quorum.
    m.nodes.get('switch')!.announced = 'down'
    judgeAll(m, out)
    expect(m.nodes.get('node1')!.announced).toBe('unreachable')
    expect(eventTypes(out)).toContain('node.unreachable node1')
    expect(eventTypes(out)).not.toContain('node.down node1')
    expect(m.checks.get('node/node1/ssh')!.announced).toBe('unreachable')
  })
})

describe('check and service verdicts', () => {
  it('holds a failed check while its node may still be judged, publishes it once judged', () => {
    const m = settled()
    feed(m, { 'node/node1/ssh': 'critical' }, 2000)
    const record = m.checks.get('node/node1/ssh')!
    m.nodes.get('switch')!.pending = true
    expect(publishCheck(m, record, new Transitions(2000))).toBe(false)
    expect(m.heldChecks.has(record)).toBe(true)
    m.nodes.get('switch')!.pending = false
    const out = new Transitions(2000)
    expect(publishCheck(m, record, out)).toBe(true)
    expect(eventTypes(out)).toEqual(['check.failed node/node1/ssh'])
  })

  it('calls a service degraded below min_healthy, down with none, and says it once', () => {
    const m = settled()
    const web = m.servicesByName.get('web')!
    const { out } = feed(m, { 'web/node1/http': 'critical' }, 2000)
    publishCheck(m, m.checks.get('web/node1/http')!, out)
    judgeService(m, web, out)
    expect(eventTypes(out)).toContain('service.degraded web')
    const again = new Transitions(2500)
    judgeService(m, web, again)
    expect(eventTypes(again)).toEqual([])
    const next = feed(m, { 'web/node2/http': 'critical' }, 3000).out
    publishCheck(m, m.checks.get('web/node2/http')!, next)
    judgeService(m, web, next)
    expect(eventTypes(next)).toContain('service.down web')
  })
})

describe('the blind judgement', () => {
  it('announces blindness when most targets fail, and not again when the store already says so', () => {
    const m = settled()
    const failing = Object.fromEntries(Object.keys(allUp).map((id) => [id, 'critical' as const]))
    const { out } = feed(m, failing, 2000)
    expect(judgeSight(m, out, 2000)).toBe('blind')
    expect(eventTypes(out)).toEqual(['monitor.blind monitor'])
    const stored = model()
    stored.announcedBlind = true
    feed(stored, allUp, 1000)
    const still = feed(stored, failing, 2000).out
    expect(judgeSight(stored, still, 2000)).toBe('blind')
    expect(eventTypes(still)).toEqual([])
  })
})

describe('the cluster row', () => {
  it('is written when quorum or the live members change, not on every view', () => {
    const inventory = createInventory(
      Config.parse({
        nodes: [
          {
            name: 'director',
            address: '127.0.1.10',
            roles: ['director', 'monitor'],
            checks: [{ name: 'members', kind: 'lab.membership' }],
          },
          { name: 'node1', address: '127.0.1.1' },
          { name: 'node2', address: '127.0.1.2' },
        ],
      }),
    )
    const m = buildModel(inventory, planTargets(inventory))
    const view = (members: string[], at: number) => {
      const out = new Transitions(at)
      const data = { quorate: true, members }
      const result = { status: 'ok' as const, latencyMs: 1, detail: 'ok', data }
      takeResults(m, [{ target: { id: 'node/director/members' }, result, at }], out, at)
      clusterRow(m, out)
      return out.result().rows.filter((row) => row.kind === 'cluster')
    }
    expect(view(['node1', 'node2'], 1000).map((row) => row.detail)).toEqual([
      { members: ['node1', 'node2'], source: 'node/director/members' },
    ])
    expect(view(['node2', 'node1'], 2000)).toEqual([])
    expect(view(['node1'], 3000).map((row) => row.detail?.members)).toEqual([['node1']])
  })
})
