// The example policies in policies/ on the demo inventory: what each does for its seed scenario.
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import type { HealthReading, TandemEvent } from '../../core/events/index.ts'
import type { PluginDefinition } from '../../core/plugin/index.ts'
import { createRegistry } from '../../core/plugin-host/index.ts'
import {
  createMatcher,
  evaluateEvent,
  healthView,
  inventoryView,
  loadPolicies,
  planMatch,
} from '../../core/policy/index.ts'
import { builtinPlugins } from '../../plugins/index.ts'
import { demo, event } from './fixtures.ts'

const dir = new URL('../../policies', import.meta.url).pathname
const nodes = (states: Record<string, string>): HealthReading[] =>
  Object.entries(states).map(([target, state]) => ({ target, kind: 'node', state }))
const allUp = nodes({ node1: 'up', node2: 'up', node3: 'up' })
/** guest1 (declared on node2) as the xen.domains probe writes it after `xl migrate guest1 node3`. */
const guest1On = (host: string | null, domain = 'running', lastHost = host): HealthReading => ({
  target: 'vm/guest1',
  kind: 'vm',
  state: host ? 'up' : 'unreachable',
  detail: { host, hosts: host ? [host] : [], domain, lastHost },
})

/** The storage rows health writes: the export's state, and each node's GFS mount. */
const storageRows = (
  exportState: string,
  mounts: Record<string, string>,
  usable = Object.keys(mounts).filter((n) => mounts[n] === 'mounted'),
): HealthReading[] => [
  { target: 'storage/data-export', kind: 'storage', state: exportState, detail: {} },
  {
    target: 'storage/gfs-data',
    kind: 'storage',
    state: exportState === 'up' ? 'degraded' : 'down',
    detail: {
      mounts,
      usable: exportState === 'up' ? usable : [],
      ...(exportState === 'up' ? {} : { cause: 'data-export' }),
    },
  },
]
const gfsFailed = (node: string) =>
  event('check.failed', `node/${node}/gfs`, { node, check: 'gfs' })

interface Scenario {
  name: string
  event: TandemEvent
  health: HealthReading[]
  /** policy → [uses, input subset] of each planned step; absent policy: does not act. */
  expected: Record<string, [string, Record<string, unknown>][]>
}

const web = (node: string, check = 'http') =>
  ({ service: 'web', node, check }) satisfies Record<string, string>

const scenarios: Scenario[] = [
  {
    name: 'node2 crashed and rejoined before any failover, db stopped: db is started on node2',
    event: event('service.stopped', 'db', { service: 'db', node: 'node2' }),
    health: allUp,
    expected: {
      'service-stopped-start': [['rgmanager.enable', { service: 'db', node: 'node2' }]],
    },
  },
  {
    name: 'node2 dies: fence, drain, relocate, restart guests',
    event: event('node.down', 'node2'),
    health: nodes({ node1: 'up', node2: 'down', node3: 'up' }),
    expected: {
      'node-down-failover': [
        ['fence.fence', { node: 'node2' }],
        ['lvs.drain', { service: 'web', node: 'node2' }],
        ['rgmanager.relocate', { service: 'db', node: 'node3' }],
        ['xen.restart_elsewhere', { vm: 'guest1' }],
      ],
    },
  },
  {
    name: 'guest1 migrated to node3, node3 dies: its guests as last seen live are restarted',
    event: event('node.down', 'node3'),
    health: [
      ...nodes({ node1: 'up', node2: 'up', node3: 'down' }),
      guest1On(null, 'unreachable', 'node3'),
    ],
    expected: {
      'node-down-failover': [
        ['fence.fence', { node: 'node3' }],
        ['lvs.drain', { service: 'web', node: 'node3' }],
        ['xen.restart_elsewhere', { vm: 'guest1', from: 'node3' }],
      ],
    },
  },
  {
    name: 'guest1 migrated to node3, node2 (its declared host) dies: no guest to restart',
    event: event('node.down', 'node2'),
    health: [...nodes({ node1: 'up', node2: 'down', node3: 'up' }), guest1On('node3')],
    expected: {
      'node-down-failover': [
        ['fence.fence', { node: 'node2' }],
        ['lvs.drain', { service: 'web', node: 'node2' }],
        ['rgmanager.relocate', { service: 'db', node: 'node3' }],
      ],
    },
  },
  {
    name: 'guest1 migrated to node3: maintenance of node3 migrates it away',
    event: event('manual', 'planned-maintenance', { node: 'node3' }),
    health: [...allUp, guest1On('node3')],
    expected: {
      'planned-maintenance': [
        ['lvs.drain', { service: 'web', node: 'node3' }],
        ['lvs.wait_drained', { service: 'web', node: 'node3' }],
        ['xen.migrate', { vm: 'guest1', to: 'node1' }],
      ],
    },
  },
  {
    name: 'guest1 migrated to node3: maintenance of node2 has no guest to migrate',
    event: event('manual', 'planned-maintenance', { node: 'node2' }),
    health: [...allUp, guest1On('node3')],
    expected: {
      'planned-maintenance': [
        ['lvs.drain', { service: 'web', node: 'node2' }],
        ['lvs.wait_drained', { service: 'web', node: 'node2' }],
        ['rgmanager.relocate', { service: 'db', node: 'node3' }],
      ],
    },
  },
  {
    name: 'a web real server fails its check: drain it',
    event: event('check.failed', 'web/node2/http', web('node2')),
    health: allUp,
    expected: { 'real-server-failed': [['lvs.drain', { service: 'web', node: 'node2' }]] },
  },
  {
    name: 'storage1 dies: db is stopped cleanly, nothing fails over, people are paged',
    event: event('check.failed', 'node/director/exports', { node: 'director', check: 'exports' }),
    health: [
      ...allUp,
      ...storageRows('unreachable', { node1: 'mounted', node2: 'mounted', node3: 'mounted' }),
    ],
    expected: { 'storage-export-down': [['rgmanager.disable', { service: 'db' }]] },
  },
  {
    name: 'GFS withdraws on node2 where db runs: fence node2, db to node3 (mounted)',
    event: gfsFailed('node2'),
    health: [
      ...allUp,
      ...storageRows('up', { node1: 'mounted', node2: 'withdrawn', node3: 'mounted' }),
    ],
    expected: {
      'gfs-withdrawn': [
        ['fence.fence', { node: 'node2' }],
        ['rgmanager.relocate', { service: 'db', from: 'node2', node: 'node3' }],
      ],
    },
  },
  {
    name: 'GFS withdraws on node3 where nothing on GFS runs: only fence node3',
    event: gfsFailed('node3'),
    health: [
      ...allUp,
      ...storageRows('up', { node1: 'mounted', node2: 'mounted', node3: 'withdrawn' }),
    ],
    expected: { 'gfs-withdrawn': [['fence.fence', { node: 'node3' }]] },
  },
  {
    name: 'GFS withdraws on node3 because its export died: the export’s story, no fence',
    event: gfsFailed('node3'),
    health: [
      ...allUp,
      ...storageRows('unreachable', { node1: 'mounted', node2: 'mounted', node3: 'withdrawn' }),
    ],
    expected: {},
  },
  {
    name: 'the gfs check fails on a node whose mount is fine (import warning): no fence',
    event: gfsFailed('node1'),
    health: [
      ...allUp,
      ...storageRows('up', { node1: 'mounted', node2: 'mounted', node3: 'mounted' }),
    ],
    expected: {},
  },
  {
    name: 'node2 dies while node3’s GFS is withdrawn: db goes to node1, never onto node3',
    event: event('node.down', 'node2'),
    health: [
      ...nodes({ node1: 'up', node2: 'down', node3: 'up' }),
      ...storageRows('up', { node1: 'mounted', node3: 'withdrawn' }),
    ],
    expected: {
      'node-down-failover': [
        ['fence.fence', { node: 'node2' }],
        ['lvs.drain', { service: 'web', node: 'node2' }],
        ['rgmanager.relocate', { service: 'db', node: 'node1' }],
        ['xen.restart_elsewhere', { vm: 'guest1' }],
      ],
    },
  },
  {
    name: 'a db check fails: db is not load-balanced, nothing to drain',
    event: event('check.failed', 'db/node2/pg', { service: 'db', node: 'node2', check: 'pg' }),
    health: allUp,
    expected: {},
  },
  {
    name: 'the web real server recovers: restore its weight',
    event: event('check.recovered', 'web/node2/http', { ...web('node2'), severity: 'info' }),
    health: allUp,
    expected: { 'real-server-recovered': [['lvs.restore', { service: 'web', node: 'node2' }]] },
  },
  {
    name: 'planned maintenance of node1: drain, wait, live-migrate guests',
    event: event('manual', 'planned-maintenance', { node: 'node1' }),
    health: allUp,
    expected: {
      'planned-maintenance': [
        ['lvs.drain', { service: 'web', node: 'node1' }],
        ['lvs.wait_drained', { service: 'web', node: 'node1' }],
        ['xen.migrate', { vm: 'guest2', to: 'node3' }],
      ],
    },
  },
  {
    name: 'maintenance of node1 ends: restore',
    event: event('manual', 'maintenance-end', { node: 'node1' }),
    health: allUp,
    expected: { 'maintenance-end': [['lvs.restore', { service: 'web', node: 'node1' }]] },
  },
  {
    name: 'Alertmanager: a backend answers with errors',
    event: event('alert.received', 'fp-1', {
      alertname: 'WebBackendErrors',
      service: 'web',
      node: 'node3',
    }),
    health: allUp,
    expected: { 'alert-backend-errors': [['lvs.drain', { service: 'web', node: 'node3' }]] },
  },
  {
    name: 'Alertmanager: the same alert without a node label does nothing',
    event: event('alert.received', 'fp-2', { alertname: 'WebBackendErrors', service: 'web' }),
    health: allUp,
    expected: {},
  },
]

async function plans(plugins: readonly PluginDefinition[], scenario: Scenario) {
  const { inventory } = await demo()
  const registry = createRegistry(plugins)
  const policies = await loadPolicies(dir, { registry, inventory })
  const { matches } = evaluateEvent(createMatcher(policies), scenario.event, {
    inventory: inventoryView(inventory),
    health: healthView(scenario.health, inventory),
  })
  const out: Record<string, [string, Record<string, unknown>][]> = {}
  for (const match of matches) {
    const plan = await planMatch(match, { inventory })
    for (const step of plan.steps)
      expect(step.error, `${plan.policy} step ${step.id}`).toBeUndefined()
    out[plan.policy] = plan.steps.map((s) => [s.uses, s.input])
  }
  return out
}

describe('example policies with the built-in plugins', () => {
  it('are ten, each documented by a comment at the top', async () => {
    const { readdir } = await import('node:fs/promises')
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'))
    expect(files).toHaveLength(10)
    for (const f of files) expect(await readFile(`${dir}/${f}`, 'utf8')).toMatch(/^# /)
  })
  for (const scenario of scenarios)
    it(scenario.name, async () => expectPlans(await plans(builtinPlugins, scenario), scenario))
})

/** The same policies act, with the same steps; inputs may carry more (defaults, options). */
function expectPlans(got: Awaited<ReturnType<typeof plans>>, scenario: Scenario) {
  expect(Object.keys(got)).toEqual(Object.keys(scenario.expected))
  for (const [policy, steps] of Object.entries(scenario.expected))
    expect(got[policy]).toEqual(
      steps.map(([uses, input]) => [uses, expect.objectContaining(input)]),
    )
}
