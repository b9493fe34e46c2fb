// The fence plugin against a real agent: Debian's fence_dummy (fence-agents 4.12.1), type=file
// keeping the power state in a status file, type=fail refusing to power off.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import type { PluginError } from '../../core/plugin/index.ts'
import fence, { checkFencing } from '../../plugins/fence/index.ts'
import { parseMetadata } from '../../plugins/fence/metadata.ts'
import { labContext } from '../lab/plugin-context.ts'

const FENCE_DUMMY = '/usr/sbin/fence_dummy'
const fenceAction = fence.actions!.fence!
let dir = ''

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-fence-dummy-'))
  writeFileSync(join(dir, 'node2.status'), 'on')
})

function setup(levels: string[][], extra: Record<string, Record<string, string | number>> = {}) {
  const devices = {
    good: { type: 'file', status_file: join(dir, 'node2.status') },
    broken: { type: 'fail', power_timeout: 1 },
    broken2: { type: 'fail', power_timeout: 1 },
    // The state file cannot exist: fence_dummy answers "Already OFF" and status OFF regardless.
    liar: { type: 'file', status_file: join(dir, 'missing', 'node2.status') },
    ...extra,
  }
  return labContext(fence, {
    inventory: {
      nodes: [{ name: 'node2', address: '127.0.1.2' }],
      fencing: {
        devices: Object.entries(devices).map(([name, options]) => ({
          name,
          agent: 'fence_dummy',
          options,
        })),
        nodes: [{ node: 'node2', levels }],
      },
    },
    config: { agents: { fence_dummy: { path: FENCE_DUMMY } }, confirm_interval: '100ms' },
    world: { nodes: { node2: { up: true, power: 'on' } } },
  })
}

describe.runIf(existsSync(FENCE_DUMMY))('fence plugin with the real fence_dummy', () => {
  it('fences with level 1: off, then status reads OFF (exit 2) from the state file', async () => {
    const ctx = setup([['good']])
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    expect(result.data).toMatchObject({
      level: 1,
      device: 'good',
      agentSaysOff: true,
      confirmedBy: 'status',
    })
    expect(readFileSync(join(dir, 'node2.status'), 'utf8')).toBe('off')
    const attempts = (result.data as { attempts: { message: string; power?: string }[] }).attempts
    expect(attempts.map((a) => a.message)).toEqual(['Success: Powered OFF', 'Status: OFF'])
    expect(attempts[1]?.power).toBe('off')
    expect(await fenceAction.verify!({ node: 'node2' }, ctx)).toEqual({
      ok: true,
      detail: 'node2: off (good off)',
    })
  })

  it('falls to level 2 when the level 1 agent fails, with fence_dummy words kept', async () => {
    const ctx = setup([['broken'], ['good']])
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    expect(result.data).toMatchObject({ level: 2, device: 'good' })
    const first = (result.data as { attempts: { exitCode: number; message: string }[] }).attempts[0]
    expect(first?.exitCode).toBe(1)
    expect(first?.message).toMatch(/ERROR: Failed: Timed out waiting to power OFF/)
  })

  it('raises a typed error, node unclean, when every level fails', async () => {
    const ctx = setup([['broken'], ['broken2']])
    const error = (await fenceAction
      .run({ node: 'node2' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error.kind).toBe('FENCE_FAILED')
    expect(error.message).toContain('broken off: exit 1: ')
    expect(error.message).toContain('broken2 off: exit 1: ')
    expect(readFileSync(join(dir, 'node2.status'), 'utf8')).toBe('on')
  })

  it('passes on what a lying agent says: "Already OFF" while the node still runs', async () => {
    const ctx = setup([['liar']])
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    const attempts = (result.data as { attempts: { message: string }[] }).attempts
    expect(attempts.map((a) => a.message)).toEqual(['Success: Already OFF', 'Status: OFF'])
    // The agent's claim, not a confirmation: the executor also needs the node to go silent.
    expect(result.data).toMatchObject({ agentSaysOff: true })
    expect(result.summary).toContain('not yet confirmed')
  })

  it('never sends fence_dummy an option it does not know (no plug, no unknown keys)', async () => {
    const ctx = setup([['odd']], {
      odd: { type: 'file', status_file: join(dir, 'node2.status'), ip: '10.1.1.1' },
    })
    const issues = await checkFencing(ctx)
    expect(issues).toContainEqual({
      path: ['fencing', 'devices', 4, 'options', 'ip'],
      message: 'fence_dummy has no option "ip"',
      severity: 'error',
    })
    const result = await fenceAction.run({ node: 'node2' }, ctx)
    const attempts = (result.data as { attempts: { warnings: string[]; stdinKeys: string[] }[] })
      .attempts
    expect(attempts.flatMap((a) => a.warnings)).toEqual([])
    expect(attempts[0]?.stdinKeys).toEqual(['action', 'type', 'status_file'])
    expect(ctx.ran.map((c) => c.stdin)).not.toContainEqual(expect.stringContaining('plug='))
  })

  it('reads the real metadata: options, deprecations and actions', async () => {
    const ctx = setup([['good']])
    const metadata = await ctx.runner.run({ argv: [FENCE_DUMMY], stdin: 'action=metadata\n' })
    const { params, actions } = parseMetadata(metadata.stdout)
    expect(params.find((p) => p.name === 'status_file')).toMatchObject({
      required: false,
      type: 'string',
    })
    expect(params.find((p) => p.name === 'debug')).toMatchObject({ deprecated: true })
    expect(params.find((p) => p.name === 'debug_file')).toMatchObject({ obsoletes: 'debug' })
    expect(params.some((p) => p.name === 'plug' || p.name === 'port')).toBe(false)
    expect(actions).toEqual([
      'on',
      'off',
      'reboot',
      'status',
      'monitor',
      'metadata',
      'manpage',
      'validate-all',
    ])
  })
})
