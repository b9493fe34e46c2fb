// End to end: the fence plugin drives the lab's fence agents (fence_lab, fence_gnbd) through
// levels, status confirmation, timeouts, delays and storage fencing, against the lab world.
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ConfigInput } from '../../core/inventory/index.ts'
import { PluginError } from '../../core/plugin/index.ts'
import fence, { checkFencing } from '../../plugins/fence/index.ts'
import { LAB_BIN, labContext } from '../lab/plugin-context.ts'
import { readWorld } from '../lab/world.mjs'

const PASSWORD = 'hunter2-lab-secret'

function inventory(levels: unknown[][], more: Partial<ConfigInput> = {}): ConfigInput {
  return {
    nodes: ['node1', 'node2', 'storage1'].map((name, i) => ({ name, address: `127.0.1.${i + 1}` })),
    fencing: {
      devices: [
        { name: 'ipmi-node2', agent: 'fence_lab', options: bmc('10.0.0.2') },
        { name: 'pdu', agent: 'fence_lab', options: bmc('10.0.0.20') },
        { name: 'stuck-bmc', agent: 'fence_lab', options: bmc('10.0.0.30') },
        { name: 'gnbd', agent: 'fence_gnbd', kind: 'storage', options: { servers: 'storage1' } },
      ],
      nodes: [{ node: 'node2', levels: levels as never }],
    },
    ...more,
  }
}

function bmc(ip: string) {
  return { ip, username: 'admin', password: 'env:FENCE_PW' }
}

function setup(levels: unknown[][], devices: Record<string, unknown> = {}, timeoutMs = 20_000) {
  return labContext(fence, {
    inventory: inventory(levels),
    config: { agents_dir: LAB_BIN, confirm_attempts: 2, confirm_interval: '50ms' },
    env: { FENCE_PW: PASSWORD },
    timeoutMs,
    world: {
      nodes: {
        node1: { up: true, power: 'on' },
        node2: { up: true, power: 'on' },
        storage1: { up: true, power: 'on' },
      },
      fence: { devices: { '10.0.0.2': { password: PASSWORD }, ...devices } },
    },
  })
}

const fenceAction = fence.actions!.fence!
const statusAction = fence.actions!.status!

function calls() {
  const world = readWorld() as { fence?: { calls?: { device: string; action: string }[] } }
  return (world.fence?.calls ?? []).map((c) => `${c.device} ${c.action}`)
}

describe('fence through agents', () => {
  it('fences with level 1, confirms off by status, and powers the node off', async () => {
    const ctx = setup([['ipmi-node2'], ['pdu']])
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    expect(result.data).toMatchObject({
      node: 'node2',
      agentSaysOff: true,
      level: 1,
      device: 'ipmi-node2',
      confirmedBy: 'status',
    })
    expect(readWorld().nodes.node2).toMatchObject({ power: 'off', up: false })
    expect(calls()).toEqual(['10.0.0.2 off', '10.0.0.2 status'])
    expect(await fenceAction.verify!({ node: 'node2' }, ctx)).toMatchObject({ ok: true })
  })

  it('uses level 2 when a level 1 device fails, keeping the agent message', async () => {
    const ctx = setup([['ipmi-node2'], ['pdu']], { '10.0.0.2': { behaviour: 'fail' } })
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    expect(result.data).toMatchObject({ level: 2, device: 'pdu', agentSaysOff: true })
    const attempts = (result.data as { attempts: { device: string; message: string }[] }).attempts
    expect(attempts[0]).toMatchObject({ device: 'ipmi-node2', exitCode: 1 })
    expect(attempts[0]?.message).toContain('Failed: Timed out waiting to power OFF')
    expect(readWorld().nodes.node2?.power).toBe('off')
  })

  it('does not count a device whose status still says on after off', async () => {
    const ctx = setup([['stuck-bmc'], ['pdu']], { '10.0.0.30': { behaviour: 'stuck' } })
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    expect(result.data).toMatchObject({ level: 2, device: 'pdu' })
    expect(calls().slice(0, 3)).toEqual(['10.0.0.30 off', '10.0.0.30 status', '10.0.0.30 status'])
  })

  it('leaves the node unclean when every level fails, with every agent message', async () => {
    const ctx = setup([['stuck-bmc'], ['pdu']], {
      '10.0.0.30': { behaviour: 'stuck' },
      '10.0.0.20': { behaviour: 'error', exitCode: 5 },
    })
    const error = await fenceAction.run({ node: 'node2' }, ctx).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PluginError)
    expect(error).toMatchObject({ kind: 'FENCE_FAILED' })
    const message = (error as PluginError).message
    expect(message).toContain('stays unclean')
    expect(message).toContain('status says on after off')
    expect(message).toContain('pdu off: exit 5: ')
    expect(message).toContain('Unable to connect/login to fencing device')
    expect(readWorld().nodes.node2).toMatchObject({ power: 'on', up: true })
    expect(await fenceAction.verify!({ node: 'node2' }, ctx)).toMatchObject({ ok: false })
    // The log walks the levels as they were: on to level 2, then nothing left to try.
    expect(ctx.warnings.filter((w) => w.startsWith('[fence] level'))).toEqual([
      '[fence] level 1 did not fence node2; trying level 2',
      '[fence] level 2 did not fence node2; no level left',
    ])
  })

  it("reports a lying agent's claim as a claim: says off, the node still runs", async () => {
    const ctx = setup([['pdu']], { '10.0.0.20': { behaviour: 'lie' } })
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    expect(result.data).toMatchObject({ agentSaysOff: true, confirmedBy: 'status' })
    expect(result.summary).toContain('not yet confirmed by the node going silent')
    // Only the node going silent (health, membership) can tell the executor the truth.
    expect(readWorld().nodes.node2).toMatchObject({ power: 'on', up: true })
  })

  it('gives up on a hung agent at the device timeout and uses the next level', async () => {
    const ctx = setup([['pdu'], ['ipmi-node2']], { '10.0.0.20': { behaviour: 'hang' } })
    ctx.inventory.config.fencing.devices[1]!.timeout = 700
    const started = Date.now()
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    expect(result.data).toMatchObject({ level: 2 })
    const first = (result.data as { attempts: { timedOut: boolean }[] }).attempts[0]
    expect(first).toMatchObject({ timedOut: true, exitCode: null })
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it('waits the static delay of the node before the first attempt', async () => {
    const ctx = setup([['ipmi-node2']])
    ctx.inventory.config.fencing.nodes[0]!.delay = 800
    const started = Date.now()
    await fenceAction.run({ node: 'node2' }, ctx)
    const world = readWorld() as unknown as { fence: { calls: { at: number }[] } }
    expect(world.fence.calls[0]!.at - started).toBeGreaterThanOrEqual(790)
  })

  it('fences by storage alone: fence_gnbd cuts the node off, and is never asked for status', async () => {
    const ctx = setup([[{ device: 'gnbd', plug: 'node2' }]])
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    expect(result.data).toMatchObject({ level: 1, device: 'gnbd', confirmedBy: 'agent' })
    const world = readWorld() as unknown as { fence: { gnbd: Record<string, string[]> } }
    expect(world.fence.gnbd.storage1).toEqual(['node2'])
    const ran = ctx.ran.length
    const error = await statusAction.run({ node: 'node2' }, ctx).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'STATUS_UNAVAILABLE' })
    expect(ctx.ran.length).toBe(ran)
  })

  it('keeps passwords out of argv and the environment of the running agent', async () => {
    const ctx = setup([['ipmi-node2']], {
      '10.0.0.2': { password: PASSWORD, behaviour: 'slow', delayMs: 600 },
    })
    const running = fenceAction.run({ node: 'node2' }, ctx)
    const seen = await catchProcess('fence_lab', 5_000)
    await running
    expect(seen.cmdline).toContain('fence_lab')
    expect(seen.cmdline).not.toContain(PASSWORD)
    expect(seen.environ).not.toContain(PASSWORD)
    // The agent checked the password it read on stdin: the login went through.
    expect(readWorld().nodes.node2?.power).toBe('off')
  })

  it('fails a login with the wrong password without echoing any secret', async () => {
    const ctx = setup([['ipmi-node2']], { '10.0.0.2': { password: 'another' } })
    const error = (await fenceAction
      .run({ node: 'node2' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error.message).toContain('Unable to connect/login to fencing device')
    expect(error.message).not.toContain(PASSWORD)
  })

  it('unfences: re-opens nothing it cannot (fence_gnbd has no on) and powers the node on', async () => {
    const ctx = setup([['ipmi-node2'], [{ device: 'gnbd', plug: 'node2' }]])
    await fenceAction.run({ node: 'node2' }, ctx)
    const result = await fence.actions!.unfence!.run({ node: 'node2', power_on: true }, ctx)
    expect(result.data).toMatchObject({ skipped: ['gnbd (fence_gnbd has no "on" action)'] })
    expect(readWorld().nodes.node2).toMatchObject({ power: 'on', up: true })
  })

  it('refuses a secret holding a line break before it could inject stdin lines', async () => {
    const sneaky = labContext(fence, {
      inventory: inventory([['ipmi-node2']]),
      config: { agents_dir: LAB_BIN },
      env: { FENCE_PW: `${PASSWORD}\naction=on` },
      world: { nodes: { node2: { up: true, power: 'on' } } },
    })
    const error = await fenceAction.run({ node: 'node2' }, sneaky).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'BAD_OPTION' })
    expect(sneaky.ran.filter((c) => c.stdin !== 'action=metadata\n')).toEqual([])
  })

  it('says so when no device can answer status, or unfence, instead of guessing', async () => {
    const ctx = setup([['pdu'], [{ device: 'gnbd', plug: 'node2' }]], {
      '10.0.0.20': { behaviour: 'error' },
    })
    const status = (await statusAction
      .run({ node: 'node2' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(status.kind).toBe('STATUS_UNAVAILABLE')
    expect(status.message).toMatch(/\npdu: .*ERROR: Unable to connect\/login to fencing device/)
    const storageOnly = setup([[{ device: 'gnbd', plug: 'node2' }]])
    const unfence = await fence
      .actions!.unfence!.run({ node: 'node2', power_on: true }, storageOnly)
      .catch((e: unknown) => e)
    expect(unfence).toMatchObject({ kind: 'UNFENCE_UNAVAILABLE' })
  })

  it('describes each level with stdin keys only, never values', async () => {
    const ctx = setup([['ipmi-node2'], [{ device: 'gnbd', plug: 'node2' }]])
    const planned = await fenceAction.describe({ node: 'node2' }, ctx)
    expect(planned.map((p) => p.argv)).toEqual([
      [`${LAB_BIN}/fence_lab`],
      [`${LAB_BIN}/fence_gnbd`],
    ])
    expect(planned[0]?.stdinKeys).toEqual(['action', 'plug', 'ip', 'username', 'password'])
    expect(planned[1]?.stdinKeys).toEqual(['action', 'nodename', 'servers'])
    expect(JSON.stringify(planned)).not.toContain(PASSWORD)
  })
})

describe('checkFencing (agent metadata at config load)', () => {
  it('finds unknown, deprecated, mistyped and missing options and unfit plugs', async () => {
    const ctx = labContext(fence, {
      inventory: {
        nodes: [{ name: 'node2', address: '127.0.1.2' }],
        fencing: {
          devices: [
            {
              name: 'a',
              agent: 'fence_lab',
              options: { ip: 'x', username: 'u', passwrd: 'env:P' },
            },
            { name: 'b', agent: 'fence_lab', options: { ipaddr: 'x', login: 'u', delay: 'soon' } },
            { name: 'c', agent: 'fence_nosuch' },
            { name: 'gnbd', agent: 'fence_gnbd', kind: 'storage', options: { servers: 's' } },
            { name: 'd', agent: 'fence_lab', options: { ip: 'x' } },
          ],
          nodes: [
            {
              node: 'node2',
              levels: [
                ['a'],
                ['b'],
                [{ device: 'c', plug: 'x' }],
                [{ device: 'gnbd', plug: 'node2' }],
                ['d'],
              ],
            },
          ],
        },
      },
      config: { agents_dir: LAB_BIN },
    })
    const issues = await checkFencing(ctx)
    const text = issues.map((i) => `${i.severity} ${i.path.join('.')}: ${i.message}`)
    expect(text).toContain(
      'error fencing.devices.0.options.passwrd: fence_lab has no option "passwrd"; did you mean "password"?',
    )
    expect(text).toContain(
      'warning fencing.devices.1.options.ipaddr: "ipaddr" is deprecated in fence_lab; use "ip"',
    )
    expect(text).toContain(
      'error fencing.devices.1.options.delay: "delay" takes seconds, not "soon"',
    )
    expect(text.some((t) => t.startsWith('error fencing.devices.2.agent: fence_nosuch'))).toBe(true)
    expect(text.filter((t) => t.includes('devices.3'))).toEqual([])
    expect(text).toContain('error fencing.devices.4.options: fence_lab requires option "username"')
    expect(text.filter((t) => t.includes('devices.0') || t.includes('devices.1')).length).toBe(4)
  })
})

/** Polls /proc until a process whose command line mentions `name` shows up. */
async function catchProcess(name: string, withinMs: number) {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
        if (!cmdline.includes(name)) continue
        return { cmdline, environ: readFileSync(`/proc/${pid}/environ`, 'utf8') }
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`no ${name} process seen within ${withinMs} ms`)
}
