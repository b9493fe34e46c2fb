// Routing semantics a route tree author relies on: deepest match wins, continue, inheritance, group keys.
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../errors.ts'
import { parseConfig } from '../inventory/index.ts'
import { groupKeyOf, groupLabelsOf, matchRoutes, routeById } from './route.ts'

const config = parseConfig(
  'routes.yaml',
  `
channels:
  - { name: ops, type: webhook }
  - { name: pager, type: webhook }
  - { name: db-team, type: email }
  - { name: audit, type: webhook }
routes:
  receiver: ops
  escalation: pager
  group_by: [severity]
  group_wait: 10s
  routes:
    - matchers: ['event=~"config\\\\..*"']
      receiver: audit
      continue: true
    - matchers: ['severity="critical"']
      receiver: pager
      group_wait: 0s
      routes:
        - matchers: ['service=~"db|db-replica"']
          receiver: db-team
          group_by: ['...']
    - matchers: ['severity!="info"']
      repeat_interval: 1h
`,
)
const routes = config.routes!

describe('matchRoutes', () => {
  it('sends what matches no child to the root receiver', () => {
    expect(matchRoutes(routes, { severity: 'info', node: 'n1' }).map((r) => r.receiver)).toEqual([
      'ops',
    ])
  })

  it('takes the deepest matching route and inherits what it does not set', () => {
    const [match] = matchRoutes(routes, { severity: 'critical', service: 'db' })
    expect(match).toMatchObject({
      id: '0.1.0',
      receiver: 'db-team',
      groupBy: ['...'],
      groupWaitMs: 0,
    })
    expect(match?.repeatIntervalMs).toBe(routes.repeat_interval)
  })

  it('stops at the first matching sibling unless it says continue', () => {
    expect(
      matchRoutes(routes, { severity: 'critical', event: 'config.invalid' }).map((r) => r.receiver),
    ).toEqual(['audit', 'pager'])
    expect(matchRoutes(routes, { severity: 'critical' }).map((r) => r.id)).toEqual(['0.1'])
  })

  it('anchors regular expressions like Alertmanager', () => {
    expect(matchRoutes(routes, { severity: 'critical', service: 'db2' })[0]?.receiver).toBe('pager')
  })

  it('treats a missing label as empty for negative matchers', () => {
    expect(matchRoutes(routes, {})[0]).toMatchObject({ id: '0.2', repeatIntervalMs: 3_600_000 })
  })
})

describe('groups', () => {
  it('groups on the group_by labels, and on every label with "..."', () => {
    const [pager] = matchRoutes(routes, { severity: 'critical', node: 'n1' })
    expect(groupLabelsOf(pager!, { severity: 'critical', node: 'n1' })).toEqual({
      severity: 'critical',
    })
    const [db] = matchRoutes(routes, { severity: 'critical', service: 'db', node: 'n2' })
    expect(groupLabelsOf(db!, { severity: 'critical', service: 'db', node: 'n2' })).toEqual({
      node: 'n2',
      service: 'db',
      severity: 'critical',
    })
  })

  it('keys a group by route, receiver and labels, whatever the label order', () => {
    const [pager] = matchRoutes(routes, { severity: 'critical' })
    expect(groupKeyOf(pager!, { b: '2', a: '1' })).toBe(groupKeyOf(pager!, { a: '1', b: '2' }))
    expect(groupKeyOf(pager!, { a: '1' })).toBe('0.1/pager/{"a":"1"}')
  })

  it('finds a stored group route again, or falls back to the root when the tree changed', () => {
    expect(routeById(routes, '0.1.0').receiver).toBe('db-team')
    expect(routeById(routes, '0.9').id).toBe('0')
  })
})

describe('the routes section', () => {
  function issuesOf(yaml: string): string[] {
    try {
      parseConfig('bad.yaml', yaml)
      return []
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      return error.issues.map((i) => `${i.line}:${i.col} ${i.field}: ${i.message}`)
    }
  }

  it('names the line of a receiver that is not a channel, with the nearest one', () => {
    expect(
      issuesOf(`channels: [{ name: ops, type: webhook }]
routes:
  receiver: ops
  escalation: opss
  routes: [{ receiver: pager }]
`),
    ).toEqual([
      '4:15 routes.escalation: no channel named "opss"; did you mean "ops"?',
      '5:24 routes.routes[0].receiver: no channel named "pager"',
    ])
  })

  it('refuses a matcher whose regular expression does not compile', () => {
    expect(
      issuesOf(`routes:
  receiver: ops
  routes:
    - matchers: ['node=~"("']
`),
    ).toEqual([
      expect.stringMatching(/^4:18 routes\.routes\[0\]\.matchers\[0\]: invalid regular expression/),
    ])
  })
})
