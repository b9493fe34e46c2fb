// The lab's fence_lab answers like a real fencing.py agent: the same sequence of requests to
// fence_lab and to Debian's fence_dummy gives the same stdout, stderr and exit status.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LAB_BIN } from '../lab/plugin-context.ts'
import { writeWorld } from '../lab/world.mjs'

const FENCE_DUMMY = '/usr/sbin/fence_dummy'

/** Runs one request; timestamps of fencing.py's log lines are the only thing that may differ. */
function ask(agent: string, lines: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(agent, { input: `${lines.join('\n')}\n`, env, encoding: 'utf8' })
  const stamp = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /gm
  return { stdout: r.stdout, stderr: r.stderr.replace(stamp, 'TIME '), status: r.status }
}

describe.runIf(existsSync(FENCE_DUMMY))('fence_lab speaks like fence_dummy', () => {
  it('answers status, off, on, reboot, unknown options and actions the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-fence-lab-'))
    const statusFile = join(dir, 'status')
    writeFileSync(statusFile, 'on')
    const world = join(dir, 'world.json')
    process.env.TANDEM_LAB_WORLD = world
    writeWorld({ version: 1, nodes: { node2: { up: true, power: 'on' } } })
    const dummy = (action: string, ...more: string[]) =>
      ask(FENCE_DUMMY, [`action=${action}`, 'type=file', `status_file=${statusFile}`, ...more], {
        PATH: '/usr/bin:/bin',
      })
    const lab = (action: string, ...more: string[]) =>
      ask(
        join(LAB_BIN, 'fence_lab'),
        [`action=${action}`, 'ip=10.0.0.2', 'username=admin', 'password=pw', 'plug=node2', ...more],
        {
          PATH: '/usr/bin:/bin',
          TANDEM_LAB_WORLD: world,
        },
      )
    for (const [action, more] of [
      ['status', []],
      ['off', []],
      ['status', []],
      ['off', []],
      ['on', []],
      ['on', []],
      ['reboot', []],
      ['status', ['bogus=1', 'nodename=node2']],
      ['frobnicate', []],
    ] as const)
      expect(lab(action, ...more), `action=${action}`).toEqual(dummy(action, ...more))
  })
})
