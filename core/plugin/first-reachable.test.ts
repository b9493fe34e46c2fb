// runOnFirstReachable and guardProbe: falling over to the next member, and probes that never throw.
import { describe, expect, it } from 'vitest'
import { PluginError } from './define.ts'
import { runOnFirstReachable, toolOutput } from './first-reachable.ts'
import { guardProbe } from './probe-guard.ts'
import type { CommandResult, CommandRunner, CommandSpec } from './types.ts'

const answer = (code: number, stdout: string, stderr = ''): CommandResult => ({
  code,
  signal: null,
  stdout,
  stderr,
  durationMs: 1,
  timedOut: false,
  truncated: false,
})

/** Answers per node as the engine's runner would after ssh (or the tool) replied. */
function runnerAnswering(byNode: Record<string, CommandResult>) {
  const calls: CommandSpec[] = []
  const runner: CommandRunner = {
    run: async (spec) => {
      calls.push(spec)
      return byNode[spec.node ?? 'local'] ?? answer(0, 'fine')
    },
  }
  return { runner, calls }
}

describe('runOnFirstReachable', () => {
  it('passes over a node ssh cannot reach and one where the cluster stack is down', async () => {
    const { runner, calls } = runnerAnswering({
      node1: answer(255, '', 'ssh: connect to host 127.0.1.1 port 22: No route to host\n'),
      node2: answer(1, '', 'Could not connect to CMAN: Connection refused\n'),
      node3: answer(0, '<clustat/>'),
    })
    const out = await runOnFirstReachable(
      runner,
      ['node1', 'node2', 'node3'],
      { argv: ['clustat', '-x'] },
      /Could not connect to CMAN/,
    )
    expect(out.node).toBe('node3')
    expect(out.skipped).toEqual([
      { node: 'node1', reason: 'ssh: connect to host 127.0.1.1 port 22: No route to host' },
      { node: 'node2', reason: 'Could not connect to CMAN: Connection refused' },
    ])
    expect(calls.map((c) => c.node)).toEqual(['node1', 'node2', 'node3'])
  })

  it('returns a real failure of the tool at once, and the last answer when nobody answers', async () => {
    const failing = runnerAnswering({ node1: answer(252, 'Service does not exist') })
    const first = await runOnFirstReachable(failing.runner, ['node1', 'node2'], { argv: ['x'] })
    expect([first.node, first.result.code, failing.calls.length]).toEqual(['node1', 252, 1])
    const down = answer(255, '', 'ssh: connect to host h port 22: Connection refused')
    const none = runnerAnswering({ node1: down, node2: down })
    const last = await runOnFirstReachable(none.runner, ['node1', 'node2'], { argv: ['x'] })
    expect([last.node, last.skipped.length]).toEqual(['node2', 2])
  })

  it('runs locally when no node is configured', async () => {
    const { runner, calls } = runnerAnswering({})
    const out = await runOnFirstReachable(runner, [], { argv: ['crm_mon'] })
    expect([out.node, calls[0]?.node]).toEqual([undefined, undefined])
    expect(toolOutput(answer(1, 'out\n', '\nerr\n'))).toBe('out\nerr')
  })
})

describe('guardProbe', () => {
  it('times the body and turns failures into unknown or timeout', async () => {
    expect(await guardProbe(async () => ({ status: 'ok', detail: 'fine' }))).toMatchObject({
      status: 'ok',
      latencyMs: expect.any(Number),
    })
    const timeout = new PluginError('x', 'TIMEOUT', 'no answer in 5s')
    expect(await guardProbe(() => Promise.reject(timeout))).toMatchObject({
      status: 'timeout',
      detail: '[x] no answer in 5s',
    })
    expect(await guardProbe(() => Promise.reject(new Error('boom')))).toMatchObject({
      status: 'unknown',
      detail: 'boom',
    })
  })
})
