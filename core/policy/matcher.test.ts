import { describe, expect, it } from 'vitest'
import { compile, event } from '../../test/policy/fixtures.ts'
import { createMatcher } from './matcher.ts'

const policy = (name: string, on: string, extra = '') =>
  compile(`name: ${name}\non: ${on}\n${extra}steps:\n  - uses: lvs.reconcile\n`)

describe('createMatcher', () => {
  it('finds policies by event type, exact names, globs and labels', async () => {
    const matcher = createMatcher([
      await policy('any-node', 'node.down'),
      await policy('node2-only', '{ event: node.down, node: node2 }'),
      await policy('glob', '{ event: [node.down, node.unreachable], node: "node?" }'),
      await policy(
        'critical',
        '{ event: check.failed, service: web, labels: { severity: critical, check: "ht*" } }',
      ),
      await policy('db-check', '{ event: check.failed, service: [db] }'),
    ])
    const names = (e: Parameters<typeof matcher.candidates>[0]) =>
      matcher.candidates(e).map((p) => p.name)
    expect(names(event('node.down', 'node2'))).toEqual(['any-node', 'node2-only', 'glob'])
    expect(names(event('node.down', 'node1'))).toEqual(['any-node', 'glob'])
    expect(names(event('node.unreachable', 'node3'))).toEqual(['glob'])
    expect(names(event('node.up', 'node2'))).toEqual([])
    const check = (service: string, severity: string) =>
      event('check.failed', `${service}/node2/http`, {
        service,
        node: 'node2',
        check: 'http',
        severity,
      })
    expect(names(check('web', 'critical'))).toEqual(['critical'])
    expect(names(check('web', 'warning'))).toEqual([])
    expect(names(check('db', 'warning'))).toEqual(['db-check'])
  })

  it('matches a policy once however many of its triggers accept, and skips disabled ones', async () => {
    const matcher = createMatcher([
      await policy('twice', '[node.down, { event: node.down, node: node2 }]'),
      await policy('disabled', 'node.down', 'enabled: false\n'),
    ])
    expect(matcher.candidates(event('node.down', 'node2')).map((p) => p.name)).toEqual(['twice'])
  })

  it('gives manual and schedule events only to the policy they name', async () => {
    const matcher = createMatcher([
      await policy('maint', 'manual'),
      await policy('nightly', '{ schedule: "0 3 * * *" }'),
      await policy('down', 'node.down'),
    ])
    expect(matcher.candidates(event('manual', 'maint')).map((p) => p.name)).toEqual(['maint'])
    expect(matcher.candidates(event('manual', 'nightly'))).toEqual([])
    expect(matcher.candidates(event('schedule', 'nightly')).map((p) => p.name)).toEqual(['nightly'])
    expect(
      matcher.candidates(event('manual', 'x', { policy: 'maint' })).map((p) => p.name),
    ).toEqual(['maint'])
  })
})
