// How the real crm tools fail, and what the plugin makes of it; constraint reading from real cibadmin output.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CommandResult } from '../../core/plugin/index.ts'
import { cliConstraints } from './cib-constraints.ts'
import { toolError } from './crm-tools.ts'

const FIXTURE = new URL('../../test/fixtures/pacemaker-cib.xml', import.meta.url)
const available = spawnSync('crm_resource', ['--version']).status === 0
if (!available)
  console.warn('SKIPPED real crm tool tests: crm_resource not installed (pacemaker-cli-utils)')
let cib = ''

/** Runs a real crm tool on the test CIB and returns what the plugin's runner would. */
function real(argv: string[]): CommandResult {
  const run = spawnSync(argv[0] ?? '', argv.slice(1), { env: { ...process.env, CIB_file: cib } })
  return {
    code: run.status,
    signal: run.signal,
    stdout: run.stdout.toString(),
    stderr: run.stderr.toString(),
    durationMs: 0,
    timedOut: false,
    truncated: false,
  }
}

describe.runIf(available)('crm tool failures from real Pacemaker', () => {
  beforeAll(() => {
    cib = join(mkdtempSync(join(tmpdir(), 'tandem-crm-')), 'cib.xml')
    copyFileSync(FIXTURE, cib)
    execFileSync('crm_simulate', ['-x', cib, '-S', '-O', cib], { stdio: 'ignore' })
  })

  it('maps exit codes and messages to kinds, keeping the words', () => {
    const web = real(['crm_resource', '--locate', '-r', 'web']).stdout.trim().split(' ').pop() ?? ''
    const table: [string[], string, number | null, string][] = [
      [
        ['crm_resource', '--move', '-r', 'web', '-N', web],
        'ALREADY_EXISTS',
        108,
        'crm_resource: Error performing operation: Requested item already exists',
      ],
      [
        ['crm_resource', '--move', '-r', 'web', '-N', 'node1', '--lifetime', 'garbage'],
        'USAGE',
        64,
        'Invalid duration specified: garbage',
      ],
      [
        ['crm_resource', '--cleanup', '-r', 'nosuch'],
        'UNKNOWN_RESOURCE',
        105,
        "crm_resource: Resource 'nosuch' not found",
      ],
      [
        ['crm_attribute', '-N', 'node9', '-n', 'standby', '-v', 'on'],
        'UNKNOWN_NODE',
        105,
        'crm_attribute: Could not map name=node9 to a UUID',
      ],
    ]
    for (const [argv, kind, code, first] of table) {
      const error = toolError(real(argv), argv[0] ?? '')
      expect([error.kind, error.exitCode, error.toolMessage.split('\n')[0]]).toEqual([
        kind,
        code,
        first,
      ])
    }
  })

  it('a tool killed by a signal is TOOL_CRASHED, with what it said first', (t) => {
    const run = real(['crm_resource', '--cleanup', '-r', 'db'])
    if (run.signal === null) t.skip('this crm_resource cleans up an offline CIB without crashing')
    const error = toolError(run, 'crm_resource')
    expect(error.kind).toBe('TOOL_CRASHED')
    expect(error.toolMessage).toMatch(/^Dry run: skipping clean-up of db on node\d due to CIB_file/)
  })

  it('finds the cli-prefer and cli-ban constraints crm_resource leaves, with their nodes', () => {
    real(['crm_resource', '--move', '-r', 'db', '-N', 'node1', '--lifetime', 'PT1H'])
    real(['crm_resource', '--ban', '-r', 'db', '-N', 'node2'])
    real(['crm_resource', '--ban', '-r', 'web', '-N', 'node2'])
    const xml = real(['cibadmin', '--query', '--scope', 'constraints']).stdout
    expect(cliConstraints(xml, 'db')).toEqual([
      { id: 'cli-prefer-db', node: 'node1' },
      { id: 'cli-ban-db-on-node2', node: 'node2' },
    ])
    expect(cliConstraints('<constraints/>', 'db')).toEqual([])
  })
})

describe('toolError without the tools', () => {
  it('tells an unreachable node (ssh exit 255) from a crashed tool', () => {
    const base = { signal: null, stdout: '', durationMs: 1, timedOut: false, truncated: false }
    const ssh = {
      ...base,
      code: 255,
      stderr: 'ssh: connect to host 127.0.1.2 port 22: Connection refused\n',
    }
    expect(toolError(ssh, 'crm_mon').kind).toBe('NODE_UNREACHABLE')
    expect(toolError({ ...base, code: 139, stderr: '' }, 'crm_resource').kind).toBe('TOOL_CRASHED')
  })
})
