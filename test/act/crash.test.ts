// SIGKILL of the executing process at three points around a fence: after restart, no double
// fence and no relocation before a confirmed fence.
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fenceStates, type Store, steps } from '../../core/store/index.ts'
import {
  editLab,
  failoverPlan,
  labDir,
  labWorld,
  openStore,
  setHealth,
  step,
} from '../fixtures/act-lab.ts'

const DAEMON = fileURLToPath(new URL('../fixtures/act-daemon.ts', import.meta.url))
let lab: ReturnType<typeof labDir>
let store: Store

beforeEach(async () => {
  lab = labDir()
  store = await openStore(lab.store)
  await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
})
afterEach(() => {
  store.close()
  lab.cleanup()
})

const world = () => labWorld()
const fenceCalls = (phase: string) =>
  (world().testFence.calls ?? []).filter((c) => c.action === 'off' && c.phase === phase)

function daemon(mode: 'execute' | 'recover', planFile = ''): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', DAEMON, lab.store, mode, planFile, join(lab.dir, 'notices.jsonl')],
    { stdio: ['ignore', 'ignore', 'pipe'], env: process.env },
  )
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function stepRow(id: string) {
  const rows = await store.db.select().from(steps)
  return rows.find((r) => r.id.endsWith(`/${id}`))
}

async function crashAndRecover(
  planSteps: ReturnType<typeof step>[],
  killWhen: () => Promise<boolean> | boolean,
  afterKill?: () => Promise<void>,
) {
  const planFile = join(lab.dir, 'plan.json')
  writeFileSync(planFile, JSON.stringify(failoverPlan('node2', { steps: planSteps })))
  const first = daemon('execute', planFile)
  await until('the kill point', killWhen)
  first.kill('SIGKILL')
  await exited(first)
  await afterKill?.()
  const second = daemon('recover')
  let stderr = ''
  second.stderr?.on('data', (c) => {
    stderr += c
  })
  expect(await exited(second), stderr).toBe(0)
}

async function expectOneFenceThenRelocation() {
  expect(fenceCalls('start')).toHaveLength(1)
  const relocations = world().testCluster.relocations ?? []
  expect(relocations).toHaveLength(1)
  expect(relocations[0]?.power.node2).toBe('off')
  const rows = await store.db.select().from(steps)
  expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
  const [fence] = await store.db.select().from(fenceStates).where(eq(fenceStates.node, 'node2'))
  expect(fence?.state).toBe('fenced')
}

const fence = () => step('2', 'test-fence.fence', { node: 'node2' }, { onFailure: 'escalate' })
const drain = () => step('1', 'test-lvs.drain', { service: 'web', node: 'node2' })
const relocate = () =>
  step('3', 'test-cluster.relocate', { service: 'db', from: 'node2', to: 'node3' })

describe('SIGKILL around a fence', () => {
  it('before the fence intent is written: the fence runs once after restart', async () => {
    editLab((w) => {
      w.testFence.behaviour.node2 = 'ok'
      // The drain before the fence is slow, so the kill lands while the fence is only pending.
      w.testLvs = { delayMs: 1500 }
    })
    await crashAndRecover(
      [drain(), fence(), relocate()],
      async () => {
        const row = await stepRow('1')
        return row?.status === 'running' && (row.processes?.length ?? 0) > 0
      },
      async () => {
        expect((await stepRow('2'))?.status).toBe('pending')
        expect(fenceCalls('start')).toHaveLength(0)
      },
    )
    await expectOneFenceThenRelocation()
    // Two child processes and a 1.5 s drain: 26 s alone, over 30 s once in a loaded suite.
  }, 60_000)

  it('after the intent, before the agent returns: the orphan agent is awaited, not doubled', async () => {
    editLab((w) => {
      w.testFence.behaviour.node2 = 'slow'
    })
    await crashAndRecover([drain(), fence(), relocate()], async () => {
      const row = await stepRow('2')
      return fenceCalls('start').length === 1 && (row?.processes?.length ?? 0) > 0
    })
    expect(fenceCalls('off')).toHaveLength(1)
    await expectOneFenceThenRelocation()
  })

  it('after the agent powered off, before the journal update: verify says off, no re-fence', async () => {
    editLab((w) => {
      w.testFence.behaviour.node2 = 'linger'
    })
    await crashAndRecover([drain(), fence(), relocate()], async () => {
      const row = await stepRow('2')
      return fenceCalls('off').length === 1 && row?.status === 'running'
    })
    await expectOneFenceThenRelocation()
  })
})
