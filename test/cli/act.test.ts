// `tandem exec`, `tandem journal` and `tandem approve|deny` on a real config, store and tools.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../core/cli/index.ts'
import {
  failoverPlan,
  labDir,
  labExecutor,
  labWorld,
  openStore,
  setHealth,
} from '../fixtures/act-lab.ts'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))
let lab: ReturnType<typeof labDir>
let config: string

beforeEach(() => {
  lab = labDir()
  config = join(lab.dir, 'tandem.yaml')
  writeFileSync(
    config,
    `version: 1
cluster: { name: lab, manager: rgmanager }
daemon: { store: "${lab.store}" }
nodes:
  - { name: node1, address: 127.0.0.1, roles: [cluster, director] }
  - { name: node2, address: 127.0.0.1 }
services:
  - name: web
    lvs: { director: node1, address: 127.0.0.1, port: 80 }
    real_servers: [{ node: node1, port: 8080 }, { node: node2, port: 8080 }]
plugins:
  test-lvs: { module: "${here('../fixtures/plugins/test-lvs.ts')}", tool: "${here('../fixtures/bin/lvs_test')}" }
`,
  )
})
afterEach(() => lab.cleanup())

async function tandem(...args: string[]) {
  let out = ''
  let err = ''
  const code = await main(args, {
    out: (t) => {
      out += t
    },
    err: (t) => {
      err += t
    },
  })
  return { code, out, err }
}

describe('tandem exec', () => {
  it('runs one action through the journal and shows it in tandem journal', async () => {
    const store = await openStore(lab.store)
    await setHealth(store, { quorate: true })
    store.close()
    const run = await tandem(
      'exec',
      'test-lvs.drain',
      'service=web',
      'node=node2',
      '--config',
      config,
    )
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    expect(run.out).toMatch(/^succeeded test-lvs\.drain: drain node2 in web/m)
    expect(labWorld().testLvs?.weights?.['web/node2']).toBe(0)

    const list = await tandem('journal', '--config', config)
    expect(list.out).toMatch(/manual:lvs\/web\/node2 +\(1 run\)/)
    const detail = await tandem('journal', 'manual:lvs/web/node2', '--config', config)
    expect(detail.out).toMatch(/\$ \S+lvs_test drain web node2/)
    expect(detail.out).toMatch(/executed +test-lvs\.drain +cli:/)
  })

  it('--dry-run describes without touching the world; bad input is a clear error', async () => {
    const dry = await tandem(
      'exec',
      'test-lvs.drain',
      'service=web',
      'node=node2',
      '--dry-run',
      '--json',
      '--config',
      config,
    )
    expect(dry.code).toBe(0)
    expect(JSON.parse(dry.out)).toMatchObject({
      dryRun: true,
      steps: [{ status: 'skipped', blockedBy: 'dry_run' }],
    })
    expect(labWorld().testLvs).toBeUndefined()
    const bad = await tandem('exec', 'test-lvs.drain', 'service=web', '--config', config)
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/\[test-lvs\.drain\] node: /)
    const typo = await tandem('exec', 'test-lvs.drian', '--config', config)
    expect(typo.err).toMatch(/did you mean "test-lvs\.drain"/)
  })

  it('refuses a destructive action without quorum (exit 3) and says why', async () => {
    const store = await openStore(lab.store)
    await setHealth(store, { quorate: false })
    store.close()
    const run = await tandem(
      'exec',
      'test-lvs.drain',
      'service=web',
      'node=node2',
      '--config',
      config,
    )
    expect(run.code).toBe(3)
    expect(run.out).toMatch(/skipped +test-lvs\.drain \[quorum\]: the cluster is inquorate/)
  })
})

describe('tandem approve / deny', () => {
  it('an approval decided on the command line is picked up by the executor', async () => {
    const store = await openStore(lab.store)
    await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
    const executor = labExecutor(store)
    const first = await executor.execute(
      failoverPlan('node2', { guards: { approval: 'required' } }),
    )
    const id = first.steps[0]?.detail.match(/apr-[0-9a-f]+/)?.[0] as string
    const noReason = await tandem('deny', id, '--config', config)
    expect(noReason.code).toBe(2)
    const denied = await tandem('deny', id, '--reason', 'node2 is only slow', '--config', config)
    expect(denied.out).toMatch(/denied/)
    const again = await tandem('approve', id, '--reason', 'changed my mind', '--config', config)
    expect(again.err).toMatch(/already denied/)
    const [resumed] = await executor.pollApprovals()
    expect(resumed?.steps[0]).toMatchObject({ status: 'skipped', blockedBy: 'approval' })
    expect(resumed?.status).toBe('blocked')
    expect(labWorld().testFence.calls ?? []).toEqual([])
    store.close()
  })
})
