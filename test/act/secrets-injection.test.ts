// Secrets never reach logs, journal, audit or argv; hostile template values reach tools as one
// literal argument, locally and over ssh.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Store } from '../../core/store/index.ts'
import {
  editLab,
  FENCE_PASSWORD,
  failoverPlan,
  labConfig,
  labExecutor,
  labWorld,
  setHealth,
  step,
  useLabStore,
} from '../fixtures/act-lab.ts'
import { INJECTION_CORPUS } from '../fixtures/injection-corpus.ts'
import { type Sshd, startSshd } from '../helpers/sshd.ts'

let store: Store

useLabStore(async (opened) => {
  store = opened
  await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
})

async function everyStoredText(): Promise<string> {
  const tables = ['incidents', 'runs', 'steps', 'audit_log', 'fence_states', 'approvals']
  const parts: string[] = []
  for (const table of tables) {
    const rows = await store.client.execute(`select * from ${table}`)
    parts.push(JSON.stringify(rows.rows))
  }
  return parts.join('\n')
}

describe('secrets', () => {
  it('the fence password reaches the agent on stdin only: not argv, env, logs, journal or audit', async () => {
    editLab((w) => {
      w.testFence.behaviour.node2 = 'slow'
    })
    const logLines: string[] = []
    const running = labExecutor(store, { logLines }).execute(failoverPlan('node2'))
    // While the agent runs, read what the kernel shows of it.
    let cmdline = ''
    let environ = ''
    for (let i = 0; i < 400 && !cmdline; i++) {
      const call = labWorld().testFence.calls?.find(
        (c) => c.phase === 'start' && c.action === 'off',
      )
      if (call) {
        cmdline = readFileSync(`/proc/${call.pid}/cmdline`, 'utf8')
        environ = readFileSync(`/proc/${call.pid}/environ`, 'utf8')
      } else await new Promise((r) => setTimeout(r, 10))
    }
    const report = await running
    expect(report.status).toBe('succeeded') // the agent got the right password on stdin
    expect(cmdline).toContain('fence_test')
    expect(cmdline).not.toContain(FENCE_PASSWORD)
    expect(environ).not.toContain(FENCE_PASSWORD)
    expect(environ).not.toContain('TANDEM_TEST_FENCE_PASSWORD')
    expect(logLines.join('')).not.toContain(FENCE_PASSWORD)
    expect(await everyStoredText()).not.toContain(FENCE_PASSWORD)
  })

  it('a tool that echoes the password in its error is redacted everywhere tandem writes', async () => {
    editLab((w) => {
      w.testFence.behaviour.node2 = 'leak'
    })
    const logLines: string[] = []
    const report = await labExecutor(store, { logLines }).execute(failoverPlan('node2'))
    expect(report.steps[0]?.status).toBe('failed')
    expect(report.steps[0]?.detail).toContain('password=***')
    expect(logLines.join('')).not.toContain(FENCE_PASSWORD)
    expect(await everyStoredText()).not.toContain(FENCE_PASSWORD)
    expect(JSON.stringify(report)).not.toContain(FENCE_PASSWORD)
  })
})

describe('injection through templated fields', () => {
  // One foreach group, five at a time: also exercises the executor's group concurrency.
  const echoSteps = (node?: string) =>
    INJECTION_CORPUS.map((value, i) =>
      step(
        String(i + 1),
        'test-cluster.echo',
        { text: value, label: value, ...(node ? { node } : {}) },
        { group: 'echo', concurrency: 5 },
      ),
    )
  const argvOf = (rows: { result: unknown }[]) =>
    rows.map((row) => (row.result as { data: { argv: string[] } }).data.argv)

  it('locally: each value is one literal argv element', async () => {
    const plan = failoverPlan('node2', { steps: echoSteps() })
    const report = await labExecutor(store).execute(plan)
    expect(report.status).toBe('succeeded')
    const rows = await store.db.query.steps.findMany({ orderBy: (s, { asc }) => asc(s.index) })
    expect(argvOf(rows)).toEqual(INJECTION_CORPUS.map((v) => ['--label', v, v]))
  })

  describe('over ssh (real sshd)', () => {
    let sshd: Sshd | undefined
    let skipReason = ''
    beforeAll(async () => {
      const started = await startSshd()
      if ('skip' in started) {
        skipReason = started.skip
        console.warn(`[act injection over ssh] SKIPPED: ${skipReason}`)
      } else sshd = started
    })
    afterAll(() => sshd?.stop())

    it('each value arrives on the remote side as one literal argv element', async (ctx) => {
      if (!sshd) return ctx.skip(skipReason)
      const base = labConfig()
      const config = {
        ...base,
        nodes: [
          ...base.nodes,
          {
            ...base.nodes[0]!,
            name: 'remote',
            ssh: {
              user: sshd.user,
              port: sshd.port,
              identity: sshd.identity,
              known_hosts: sshd.knownHosts,
              connect_timeout: 5_000,
            },
          },
        ],
      }
      const plan = failoverPlan('node2', { steps: echoSteps('remote') })
      const report = await labExecutor(store, { config }).execute(plan)
      expect(report.status).toBe('succeeded')
      const rows = await store.db.query.steps.findMany({ orderBy: (s, { asc }) => asc(s.index) })
      expect(argvOf(rows)).toEqual(INJECTION_CORPUS.map((v) => ['--label', v, v]))
    })
  })
})
