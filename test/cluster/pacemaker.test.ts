// End to end against real Pacemaker: the plugin drives crm_resource/crm_attribute on an offline CIB,
// crm_simulate carries out the transition, and the plugin reads placement back from real crm_mon XML.
import { execFileSync } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import type { PluginError } from '../../core/plugin/index.ts'
import { INVENTORY } from '../../plugins/pacemaker/contract.ts'
import pacemaker from '../../plugins/pacemaker/index.ts'
import { actionOf, failure, labRunner, pluginContext, said, tempDir } from './support.ts'

const FIXTURE = new URL('../fixtures/pacemaker-cib.xml', import.meta.url)
const TOOLS = ['crm_resource', 'crm_mon', 'crm_simulate', 'crm_attribute', 'cibadmin']
const missing = TOOLS.filter((tool) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' })
    return false
  } catch {
    return true
  }
})
if (missing.length)
  console.warn(
    `SKIPPED real-Pacemaker tests: ${missing.join(', ')} not installed (pacemaker-cli-utils)`,
  )

let cib = ''

function context() {
  const runner = labRunner()
  const ctx = pluginContext(
    pacemaker,
    { env: { CIB_file: cib }, settle_timeout: '300ms', settle_interval: '100ms' },
    { runner, inventoryYaml: INVENTORY },
  )
  return { ctx, runner }
}

const action = (name: string) => actionOf(pacemaker, name)
const probe = pacemaker.probes?.status
if (!probe) throw new Error('no status probe')

/** crm_simulate runs the scheduler on the CIB and records every action as done. */
function applyTransition(...extra: string[]) {
  execFileSync('crm_simulate', ['-x', cib, ...extra, '-S', '-O', cib], { stdio: 'ignore' })
}

/** An independent reading through another real tool: `resource web is running on: node2`. */
function locate(resource: string): string {
  return execFileSync('crm_resource', ['--locate', '-r', resource], {
    env: { ...process.env, CIB_file: cib },
  }).toString()
}

async function placement(ctx: ReturnType<typeof context>['ctx']) {
  const result = await probe?.run({}, ctx)
  return result?.data?.placement as Record<string, string[]>
}

describe.skipIf(missing.length > 0)('pacemaker plugin against real Pacemaker 2.1', () => {
  beforeEach(() => {
    cib = join(tempDir('pcmk'), 'cib.xml')
    copyFileSync(FIXTURE, cib)
    applyTransition()
  })

  it('parses real crm_mon XML: nodes, a group, a primitive, a clone and stonith', async () => {
    const { ctx } = context()
    const result = await probe.run({}, ctx)
    expect(result.status).toBe('ok')
    const where = result.data?.placement as Record<string, string[]>
    expect(where['ping-clone']?.sort()).toEqual(['node1', 'node2', 'node3'])
    expect(where.web).toHaveLength(1)
    // Inventory names (database → resource db), as health stores them for status and policies.
    expect(result.facts?.placement).toEqual({
      database: { owner: where.db?.[0], state: 'Started' },
      www: { owner: where.web?.[0], state: 'Started' },
    })
    expect(locate('web')).toBe(`resource web is running on: ${where.web?.[0]}\n`)
    expect(locate('db')).toBe(`resource db is running on: ${where.db?.[0]}\n`)
    expect(locate('fence-dummy')).toBe(
      `resource fence-dummy is running on: ${where['fence-dummy']?.[0]}\n`,
    )
    const nodes = result.data?.nodes as { name: string; online: boolean }[]
    expect(nodes.map((n) => [n.name, n.online])).toEqual([
      ['node1', true],
      ['node2', true],
      ['node3', true],
    ])
  })

  it('move: once crm_simulate applies the transition the group runs where the plugin said', async () => {
    const { ctx } = context()
    const from = (await placement(ctx)).web?.[0]
    const to = ['node1', 'node2', 'node3'].find((n) => n !== from) ?? ''
    const move = action('move')
    const input = move.input.parse({ resource: 'web', node: to, lifetime: '1h' })
    expect((await move.describe(input, ctx))[0]?.argv).toEqual([
      'crm_resource',
      '--move',
      '-r',
      'web',
      '-N',
      to,
      '--lifetime',
      'PT1H',
    ])
    const result = await move.run(input, ctx)
    expect(result.summary).toMatch(
      /^crm_resource --move web node\d done \(was: web on node\d\) — Migration will take effect until: /,
    )
    const before = await move.verify?.(input, ctx)
    expect(before).toEqual({ ok: false, detail: `web on ${from}; expected on ${to}` })
    applyTransition()
    expect(await move.verify?.(input, ctx)).toEqual({ ok: true, detail: `web on ${to}` })
    const after = await placement(ctx)
    expect([after.web, after.vip, after.websrv]).toEqual([[to], [to], [to]])
    expect(locate('web')).toBe(`resource web is running on: ${to}\n`)
  })

  it('ban keeps a resource off its node; clear removes the constraint', async () => {
    const { ctx } = context()
    const on = (await placement(ctx)).db?.[0] ?? ''
    const result = await action('ban').run({ resource: 'db', node: on }, ctx)
    expect(result.data?.output).toContain(
      `WARNING: Creating rsc_location constraint 'cli-ban-db-on-${on}' with a score of -INFINITY for resource db on ${on}.`,
    )
    applyTransition()
    expect(await action('ban').verify?.({ resource: 'db', node: on }, ctx)).toMatchObject({
      ok: true,
    })
    expect((await placement(ctx)).db).not.toContain(on)

    const clear = action('clear')
    expect(await clear.verify?.({ resource: 'db' }, ctx)).toEqual({
      ok: false,
      detail: `still constrained: cli-ban-db-on-${on}`,
    })
    const cleared = await clear.run({ resource: 'db' }, ctx)
    expect(cleared.data?.output).toBe(`Removing constraint: cli-ban-db-on-${on}`)
    expect(await clear.verify?.({ resource: 'db' }, ctx)).toEqual({
      ok: true,
      detail: 'no move/ban constraints for db',
    })
  })

  it('standby empties a node after the transition; unstandby brings it back', async () => {
    const { ctx } = context()
    await action('standby').run({ node: 'node3' }, ctx)
    expect((await action('standby').verify?.({ node: 'node3' }, ctx))?.ok).toBe(false)
    applyTransition()
    expect(await action('standby').verify?.({ node: 'node3' }, ctx)).toEqual({
      ok: true,
      detail: 'node3 is standby, 0 resources running',
    })
    const where = await placement(ctx)
    expect(Object.values(where).flat()).not.toContain('node3')
    await action('unstandby').run({ node: 'node3' }, ctx)
    applyTransition()
    expect(await action('unstandby').verify?.({ node: 'node3' }, ctx)).toEqual({
      ok: true,
      detail: 'node3 is online',
    })
  })

  it('a healthy owner needs no fence; a declared from does', async () => {
    const { ctx } = context()
    const move = action('move')
    expect(await move.needsFence?.({ resource: 'database', node: 'node1' }, ctx)).toEqual([])
    expect(await move.needsFence?.({ resource: 'db', node: 'node1', from: 'node3' }, ctx)).toEqual([
      'node3',
    ])
  })

  it('does nothing when the resource already runs on the destination', async () => {
    const { ctx, runner } = context()
    const on = (await placement(ctx)).db?.[0] ?? ''
    const result = await action('move').run({ resource: 'db', node: on }, ctx)
    expect(result.summary).toBe(`db already runs on ${on}; nothing to do`)
    expect(runner.calls.filter((c) => c.argv[0] === 'crm_resource')).toEqual([])
  })

  it('a clone (or its child) with an instance on the destination: nothing to do, no rc 108', async () => {
    const { ctx, runner } = context()
    expect((await placement(ctx))['ping-clone']).toContain('node1')
    for (const resource of ['ping', 'ping-clone']) {
      const result = await action('move').run({ resource, node: 'node1' }, ctx)
      expect(result.summary).toBe(`${resource} already runs on node1; nothing to do`)
    }
    expect(runner.calls.filter((c) => c.argv[0] === 'crm_resource')).toEqual([])
    // The real tool, asked anyway, refuses the child: what tandem no longer runs into.
    const asked = (() => {
      try {
        execFileSync('crm_resource', ['--move', '-r', 'ping', '-N', 'node1'], {
          env: { ...process.env, CIB_file: cib },
          stdio: 'pipe',
        })
        return 0
      } catch (error) {
        return (error as { status: number }).status
      }
    })()
    expect(asked).toBe(108)
  })

  it('a move says how its cli-prefer constraint ends, and clear removes it', async () => {
    const { ctx } = context()
    const from = (await placement(ctx)).web?.[0]
    const to = ['node1', 'node2', 'node3'].find((n) => n !== from) ?? ''
    const kept = await action('move').run({ resource: 'web', node: to }, ctx)
    expect(kept.summary).toMatch(/; constraint cli-prefer-web stays until pacemaker\.clear/)
    expect(await action('clear').verify?.({ resource: 'web' }, ctx)).toEqual({
      ok: false,
      detail: 'still constrained: cli-prefer-web',
    })
    await action('clear').run({ resource: 'web' }, ctx)
    const input = action('move').input.parse({ resource: 'web', node: to, lifetime: '2h' })
    const timed = await action('move').run(input, ctx)
    expect(timed.summary).toMatch(/; constraint cli-prefer-web expires after PT2H$/)
  })
})

describe.skipIf(missing.length > 0)('pacemaker error cases keep the real tools’ messages', () => {
  beforeEach(() => {
    cib = join(tempDir('pcmk'), 'cib.xml')
    copyFileSync(FIXTURE, cib)
    applyTransition()
  })

  it('unknown resource and unknown node: exit 105 "No such object"', async () => {
    const { ctx } = context()
    expect(
      said(await failure(action('move').run({ resource: 'nosuch', node: 'node2' }, ctx))),
    ).toEqual([
      'UNKNOWN_RESOURCE',
      105,
      "crm_resource: Resource 'nosuch' not found\nError performing operation: No such object",
    ])
    expect(said(await failure(action('ban').run({ resource: 'web', node: 'node9' }, ctx)))).toEqual(
      [
        'UNKNOWN_NODE',
        105,
        "crm_resource: Node 'node9' not found\nError performing operation: No such object",
      ],
    )
    expect(said(await failure(action('standby').run({ node: 'node9' }, ctx)))).toEqual([
      'UNKNOWN_NODE',
      105,
      'crm_attribute: Could not map name=node9 to a UUID',
    ])
  })

  it('inquorate partition: the probe is critical and nothing is moved', async () => {
    const text = readFileSync(cib, 'utf8').replace('have-quorum="1"', 'have-quorum="0"')
    writeFileSync(cib, text)
    const { ctx, runner } = context()
    const result = await probe.run({}, ctx)
    expect([result.status, result.detail]).toEqual([
      'critical',
      'partition WITHOUT quorum (DC node1)',
    ])
    const error = await failure(action('move').run({ resource: 'web', node: 'node3' }, ctx))
    expect([error.kind, error.toolMessage]).toEqual([
      'NO_QUORUM',
      'Current DC: node1 - partition WITHOUT quorum',
    ])
    expect(runner.calls.filter((c) => c.argv[0] === 'crm_resource')).toEqual([])
  })

  it('without a DC quorum is unknown, never assumed', async () => {
    writeFileSync(cib, readFileSync(cib, 'utf8').replace(' dc-uuid="1"', ''))
    const { ctx } = context()
    const result = await probe.run({}, ctx)
    expect([result.status, result.detail, result.data?.quorate]).toEqual([
      'unknown',
      'no DC: quorum unknown',
      null,
    ])
  })

  it('a failed, unclean node is not a destination and its resources are critical', async () => {
    const { ctx } = context()
    const dbOn = (await placement(ctx)).db?.[0] ?? ''
    execFileSync('crm_simulate', ['-x', cib, '--node-fail', dbOn, '-O', cib], { stdio: 'ignore' })
    const node = await probe.run({ node: dbOn }, ctx)
    expect([node.status, node.detail]).toEqual(['critical', `Node ${dbOn}: UNCLEAN (offline)`])
    const db = await probe.run({ resource: 'db' }, ctx)
    expect([db.status, db.detail]).toEqual(['critical', `db on ${dbOn} (UNCLEAN)`])
    const error = await failure(action('move').run({ resource: 'web', node: dbOn }, ctx))
    expect([error.kind, error.toolMessage]).toEqual([
      'NODE_NOT_MEMBER',
      `Node ${dbOn}: UNCLEAN (offline)`,
    ])
  })

  it('failed operations are reported; cleanup of an unknown resource is refused', async () => {
    const { ctx } = context()
    const on = injectMonitorFailure(await placement(ctx))
    const result = await probe.run({}, ctx)
    expect(result.status).toBe('warning')
    expect(result.detail).toBe(`db FAILED; db monitor failed on ${on} (not running)`)
    expect(result.data?.failures).toEqual([
      expect.objectContaining({
        resource: 'db',
        node: on,
        task: 'monitor',
        exitCode: 7,
        exitStatus: 'not running',
      }),
    ])
    const db = await probe.run({ resource: 'db' }, ctx)
    expect([db.status, db.detail]).toEqual(['critical', `db on ${on} (FAILED)`])
    const unknown = await failure(action('cleanup').run({ resource: 'nosuch' }, ctx))
    expect([unknown.kind, unknown.exitCode]).toEqual(['UNKNOWN_RESOURCE', 105])
  })

  it('cleanup forgets the failures (needs a live cluster: skipped on an offline CIB)', async (t) => {
    const { ctx } = context()
    const on = injectMonitorFailure(await placement(ctx))
    const cleanup = action('cleanup')
    const outcome = await cleanup
      .run({ resource: 'db', node: on }, ctx)
      .catch((e: PluginError) => e)
    if (outcome instanceof Error && /Dry run: skipping clean-up of db/.test(outcome.message)) {
      expect((outcome as PluginError).kind).toBe('TOOL_CRASHED')
      const reason =
        'crm_resource --cleanup cannot clean up an offline CIB (Pacemaker 2.1.5 prints "Dry run: skipping clean-up … due to CIB_file" and dies of SIGSEGV); the success path needs a live cluster'
      console.warn(`SKIPPED cleanup success path: ${reason}`)
      t.skip(reason)
    }
    expect(await cleanup.verify?.({ resource: 'db', node: on }, ctx)).toMatchObject({ ok: true })
  })
})

/** A monitor of db that found it "not running" (OCF 7) where it runs; returns that node. */
function injectMonitorFailure(where: Record<string, string[]>): string {
  const on = where.db?.[0] ?? ''
  execFileSync('crm_simulate', ['-x', cib, '--op-inject', `db_monitor_10000@${on}=7`, '-O', cib], {
    stdio: 'ignore',
  })
  return on
}
