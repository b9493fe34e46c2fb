import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinPlugins } from '../../../plugins/index.ts'
import { demoConfig, examplePolicies, runCli } from '../../../test/policy/cli.ts'
import { definePlugin, z } from '../../plugin/index.ts'
import { healthStates, incidents, openStore, runs } from '../../store/index.ts'
import { createPlanCommand } from './plan.ts'

const plan = createPlanCommand(builtinPlugins)
const base = ['--config', demoConfig, '--policies', examplePolicies]

describe('tandem plan', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-plan-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('shows the exact steps and argv for a dead node', async () => {
    const { code, out } = await runCli(plan, ['--event', 'node.down', '--node', 'node2', ...base])
    expect(code).toBe(0)
    expect(out).toContain('event   node.down node2  (node=node2 severity=critical)')
    expect(out).toContain('node-down-failover  (')
    expect(out).toContain('  for       20s: acts only if still true 20s after the first event')
    expect(out).toContain(
      '    2.0  drain its real servers [web/node2]  lvs.drain service=web node=node2  (foreach 2, 4 at a time)',
    )
    // The real lvs plugin runs ipvsadm on the director and keeps the server's thresholds.
    expect(out).toMatch(
      /\n {9}\$ \[director\] ipvsadm -e -t 192\.0\.2\.10:80 -r 127\.0\.1\.2:8080 -m -w 0 -x 200 -y 50 {3}# drain node2 from web/,
    )
    expect(out).toContain(
      '         $ clusvcadm -r service:db -m node3   # relocate service:db to node3',
    )
    expect(out).toContain('  blocked   no guard would block it now')
    expect(out).toContain(
      '  guests    guest1 on node2 (declared host, no live data), guest2 on node1 (declared host, no live data)',
    )
    expect(out).not.toContain('real-server-failed')
  })

  it('acts on guests where the xen.domains probe saw them, and says so', async () => {
    const url = `file:${join(dir, 'migrated.db')}`
    const store = await openStore(url)
    const now = Date.now()
    const row = (
      target: string,
      kind: string,
      state: string,
      detail?: Record<string, unknown>,
    ): typeof healthStates.$inferInsert => ({
      target,
      kind,
      state,
      detail,
      since: now,
      updatedAt: now,
    })
    await store.db.insert(healthStates).values([
      ...['node1', 'node2'].map((n) => row(n, 'node', 'up')),
      row('node3', 'node', 'down'),
      // `xl migrate guest1 node3` earlier; node3 then stopped answering.
      row('vm/guest1', 'vm', 'unreachable', {
        host: null,
        hosts: [],
        domain: 'unreachable',
        lastHost: 'node3',
      }),
    ])
    store.close()
    const down = (node: string) => ['--event', 'node.down', '--node', node, '--store', url, ...base]
    const { out } = await runCli(plan, down('node3'))
    expect(out).toContain('restart its guests on a survivor [guest1]  xen.restart_elsewhere')
    expect(out).toContain(
      '  guests    guest1 on node3 (probe), guest2 on node1 (declared host, no live data)',
    )
    const node2 = await runCli(plan, down('node2'))
    expect(node2.out).not.toContain('xen.restart_elsewhere')
  })

  it('gives the same plan as JSON', async () => {
    const { code, out } = await runCli(plan, [
      '--event',
      'node.down',
      '--node',
      'node2',
      '--json',
      ...base,
    ])
    expect(code).toBe(0)
    const json = JSON.parse(out)
    expect(json.plans).toHaveLength(1)
    const steps = json.plans[0].plan.steps
    expect(steps.map((s: { id: string }) => s.id)).toEqual(['1', '2.0', '3.0', '4.0'])
    // The drain, word for word as ipvsadm is run (one argv element a word).
    expect(steps[1].commands[0].argv).toEqual(
      'ipvsadm -e -t 192.0.2.10:80 -r 127.0.1.2:8080 -m -w 0 -x 200 -y 50'.split(' '),
    )
    expect(json.plans[0].guards).toEqual([])
  })

  it('plans a manual maintenance for the node given', async () => {
    const args = [
      '--event',
      'manual',
      '--policy',
      'planned-maintenance',
      '--node',
      'node1',
      ...base,
    ]
    const { code, out } = await runCli(plan, args)
    expect(code).toBe(0)
    expect(out).toContain('incident  maintenance:node1')
    expect(out).toContain(
      '$ [node1] xl migrate guest2 127.0.1.3   # live-migrate guest2 from wherever it runs',
    )
  })

  it('reads real health and history from the store: a recent run blocks by cooldown', async () => {
    const url = `file:${join(dir, 'history.db')}`
    const store = await openStore(url)
    const now = Date.now()
    await store.db.insert(healthStates).values(
      ['node1', 'node2', 'node3'].map((n) => ({
        target: n,
        kind: 'node',
        state: n === 'node2' ? 'down' : 'up',
        since: now,
        updatedAt: now,
      })),
    )
    await store.db.insert(incidents).values({
      id: 'i1',
      key: 'node.down:node2',
      status: 'open',
      title: 'node2 down',
      openedAt: now - 300_000,
    })
    await store.db.insert(runs).values({
      id: 'r1',
      incidentId: 'i1',
      policy: 'node-down-failover',
      trigger: {},
      status: 'succeeded',
      actor: 'tandem',
      startedAt: now - 300_000,
    })
    store.close()
    const { out } = await runCli(plan, [
      '--event',
      'node.down',
      '--node',
      'node2',
      '--store',
      url,
      ...base,
    ])
    expect(out).toMatch(
      /BLOCKED {3}cooldown: last run for node\.down:node2 (4m5\ds|5m(\d+s)?) ago; cooldown 15m/,
    )
    expect(out).toContain(`[from ${url}]`)
  })

  it('never changes anything: describe may read, a write is refused and shown as the step error', async () => {
    const log = join(dir, 'calls.log')
    for (const tool of ['clustat', 'clusvcadm']) {
      await writeFile(
        join(dir, tool),
        `#!/bin/sh\necho "$(basename "$0") $*" >> "${log}"\necho quorate\n`,
      )
      await chmod(join(dir, tool), 0o755)
    }
    const sneaky = definePlugin({
      name: 'sneaky',
      description: 'reads, then tries to write, while describing',
      config: z.object({}),
      actions: {
        act: {
          description: 'sneaky',
          input: z.object({ service: z.string() }),
          idempotent: true,
          destructive: true,
          scope: 'operate',
          async describe(input, ctx) {
            const read = await ctx.runner.run({ argv: [join(dir, 'clustat'), '-x'] })
            await ctx.runner.run({ argv: [join(dir, 'clusvcadm'), '-d', input.service] })
            return [{ argv: ['never'], note: read.stdout.trim() }]
          },
          run: async () => ({ summary: 'ran' }),
        },
      },
    })
    const policies = join(dir, 'policies')
    await mkdir(policies, { recursive: true })
    await writeFile(
      join(policies, 'sneaky.yaml'),
      'on: manual\nsteps:\n  - uses: sneaky.act\n    with: { service: db }\n',
    )
    const command = createPlanCommand([...builtinPlugins, sneaky])
    const args = [
      '--event',
      'manual',
      '--policy',
      'sneaky',
      '--config',
      demoConfig,
      '--policies',
      policies,
    ]
    const { code, out } = await runCli(command, args)
    expect(code).toBe(1)
    expect(out).toMatch(
      /ERROR \[sneaky\] describe failed: \[plan\] refused to run .*clusvcadm.*a plan only reads/,
    )
    expect(await readFile(log, 'utf8')).toBe('clustat -x\n')
  })

  it('explains bad input instead of guessing', async () => {
    await expect(runCli(plan, ['--event', 'node.dwn', '--node', 'node2', ...base])).rejects.toThrow(
      'unknown event type "node.dwn"; did you mean "node.down"?',
    )
    await expect(runCli(plan, ['--event', 'node.down', '--node', 'nod2', ...base])).rejects.toThrow(
      'no node named "nod2" in the inventory; did you mean "node2"?',
    )
  })
})
