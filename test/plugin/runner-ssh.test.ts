// The ssh runner against a real sshd: hostile arguments arrive as single literal argv elements.
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Config, createInventory } from '../../core/inventory/index.ts'
import { createCommandRunner } from '../../core/plugin-host/index.ts'
import { INJECTION_CORPUS } from '../fixtures/injection-corpus.ts'
import { type Sshd, startSshd } from '../helpers/sshd.ts'

const ARGV_DUMP = fileURLToPath(new URL('../fixtures/bin/argv-dump', import.meta.url))

let sshd: Sshd | undefined
let skipReason = ''

beforeAll(async () => {
  const started = await startSshd()
  if ('skip' in started) {
    skipReason = started.skip
    console.warn(`[runner-ssh] SKIPPED: ${skipReason}`)
  } else sshd = started
})
afterAll(() => sshd?.stop())

function runnerFor(server: Sshd, knownHosts = server.knownHosts) {
  const config = Config.parse({
    nodes: [
      {
        name: 'node2',
        address: '127.0.0.1',
        ssh: {
          user: server.user,
          port: server.port,
          identity: server.identity,
          known_hosts: knownHosts,
          connect_timeout: '5s',
        },
      },
    ],
  })
  return createCommandRunner({ inventory: createInventory(config), ssh: '/usr/bin/ssh' })
}

describe('ssh runner (real OpenSSH client and server)', () => {
  it('delivers every element of the injection corpus as one literal remote argument', async (ctx) => {
    if (!sshd) return ctx.skip(skipReason)
    const result = await runnerFor(sshd).run({
      node: 'node2',
      argv: [ARGV_DUMP, ...INJECTION_CORPUS],
      timeoutMs: 20_000,
    })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual(INJECTION_CORPUS)
  })

  it('carries stdin (fence options and secrets) over the channel, not the command line', async (ctx) => {
    if (!sshd) return ctx.skip(skipReason)
    const result = await runnerFor(sshd).run({
      node: 'node2',
      argv: ['cat'],
      stdin: 'action=off\npassword=s3cret\n',
      env: { FENCE_MODE: "a'b" },
      timeoutMs: 20_000,
    })
    expect(result.stdout).toBe('action=off\npassword=s3cret\n')
  })

  it('refuses a host whose key is not in known_hosts (no trust on first use)', async (ctx) => {
    if (!sshd) return ctx.skip(skipReason)
    const result = await runnerFor(sshd, '/dev/null').run({
      node: 'node2',
      argv: ['true'],
      timeoutMs: 20_000,
    })
    expect(result.code).toBe(255)
    expect(result.stderr).toMatch(/Host key verification failed/)
  })
})
