// The local runner: argv stays literal, timeouts kill the whole group, output is capped, env scrubbed.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { INJECTION_CORPUS } from '../../test/fixtures/injection-corpus.ts'
import { createLocalRunner } from './runner-local.ts'

const ARGV_DUMP = fileURLToPath(new URL('../../test/fixtures/bin/argv-dump', import.meta.url))

describe('local runner', () => {
  const runner = createLocalRunner({ killGraceMs: 300 })

  it('passes every hostile value as one literal argument (no shell)', async () => {
    const result = await runner.run({ argv: [ARGV_DUMP, ...INJECTION_CORPUS] })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual(INJECTION_CORPUS)
    expect(existsSync('/tmp/tandem-pwned')).toBe(false)
  })

  it('kills the whole process group at the timeout, even children that ignore SIGTERM', async () => {
    const result = await runner.run({
      argv: ['/bin/sh', '-c', 'trap "" TERM; sleep 30 & echo $!; wait'],
      timeoutMs: 300,
    })
    expect(result.timedOut).toBe(true)
    const grandchild = Number(result.stdout.trim())
    expect(grandchild).toBeGreaterThan(0)
    await waitFor(() => !alive(grandchild))
    expect(alive(grandchild)).toBe(false)
  })

  it('stops a command when the signal aborts', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const result = await runner.run({ argv: ['sleep', '30'], signal: controller.signal })
    expect(result.signal).toBe('SIGTERM')
    expect(result.durationMs).toBeLessThan(10_000)
  })

  it('caps output and says so', async () => {
    const result = await runner.run({
      argv: ['head', '-c', '200000', '/dev/zero'],
      maxOutputBytes: 1000,
    })
    expect(result.stdout.length).toBe(1000)
    expect(result.truncated).toBe(true)
    expect(result.code).toBe(0)
  })

  it('starts from a scrubbed environment plus the explicit entries', async () => {
    process.env.TANDEM_TEST_LEAK = 'must-not-leak'
    try {
      const result = await runner.run({ argv: ['env'], env: { FENCE_MODE: 'x' } })
      const names = result.stdout.split('\n').map((line) => line.split('=')[0])
      expect(names).toContain('PATH')
      expect(names).toContain('FENCE_MODE')
      expect(result.stdout).not.toContain('must-not-leak')
    } finally {
      delete process.env.TANDEM_TEST_LEAK
    }
  })

  it('feeds stdin and keeps exit status and stderr', async () => {
    const result = await runner.run({
      argv: ['/bin/sh', '-c', 'cat; echo oops >&2; exit 5'],
      stdin: 'action=off\nplug=node2\n',
    })
    expect(result).toMatchObject({ code: 5, stdout: 'action=off\nplug=node2\n', stderr: 'oops\n' })
  })

  it('reports a missing program as a clear error', async () => {
    await expect(runner.run({ argv: ['/nonexistent/fence_x'] })).rejects.toThrow(
      /\[runner\] cannot run \/nonexistent\/fence_x/,
    )
  })
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitFor(ok: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
}
