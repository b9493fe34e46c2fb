// The serverless entry end to end: each `scheduled()` in a fresh process drives a node failure to a repaired cluster.
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createInstance } from '../../core/runtime/index.ts'
import { openStore } from '../../core/store/index.ts'
import { type LabSite, startLabSite } from '../e2e/demo-lab.ts'
import { failNode } from '../lab/demo-world.ts'
import { readWorld } from '../lab/world.mjs'

const run = promisify(execFile)
let site: LabSite
beforeAll(async () => {
  // Its own net and ports (scale-daemons has 31, scale-pause 33): the files may run side by side.
  site = await startLabSite({ net: 34, smtpPort: 25334, webhookPort: 28334, timing: 'quick' })
})
afterAll(() => site?.close())

/** One platform call: a fresh node process, nothing carried over but the database file. */
async function scheduled(): Promise<{ probed: number; events: number; leading: boolean }> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', resolve('test/fixtures/serverless-tick.ts')],
    {
      env: {
        ...process.env,
        TANDEM_CONFIG: site.configFile,
        TANDEM_STORE_URL: site.storeUrl,
        TANDEM_POLICIES: site.policiesDir,
        LOG_LEVEL: 'warn',
      },
      timeout: 60_000,
    },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

/** The demo's first step (as in demo-lab): the director's LVS table is built from the inventory. */
async function reconcileLvs(): Promise<void> {
  const instance = await createInstance({
    configFile: site.configFile,
    storeUrl: site.storeUrl,
    policiesDir: site.policiesDir,
    instanceId: 'serverless',
  })
  try {
    await instance.lead()
    const report = await instance.executor.runManual('lvs.reconcile', {}, { actor: 'test' })
    expect(report.status).toBe('succeeded')
  } finally {
    await instance.close()
  }
}

async function failoverStatus(): Promise<{ status?: string; steps: unknown[] }> {
  const store = await openStore(site.storeUrl)
  try {
    const result = await store.client.execute(
      "SELECT id, status FROM runs WHERE policy = 'node-down-failover' ORDER BY started_at DESC LIMIT 1",
    )
    const run = result.rows[0]
    if (!run) return { steps: [] }
    const steps = await store.client.execute({
      sql: 'SELECT uses, status, error FROM steps WHERE run_id = ? ORDER BY id',
      args: [run.id as string],
    })
    return { status: run.status as string, steps: steps.rows.map((row) => Object.values(row)) }
  } finally {
    store.close()
  }
}

// A fresh process per tick (the slow part), on the quick site's short `for:`.
it('repeated scheduled() calls in fresh processes fence node2 and complete the failover', async () => {
  for (let i = 0; i < 4; i++) {
    const report = await scheduled() // rise: the fleet comes up over the first ticks
    expect(report.leading).toBe(true)
    expect(report.probed).toBeGreaterThan(5)
  }
  await reconcileLvs()
  failNode('node2')
  const deadline = Date.now() + 90_000
  let status: string | undefined
  let steps: unknown[] = []
  while (Date.now() < deadline) {
    const started = Date.now()
    await scheduled()
    ;({ status, steps } = await failoverStatus())
    if (status === 'succeeded' || status === 'failed' || status === 'blocked') break
    await new Promise((r) => setTimeout(r, Math.max(0, 2_000 - (Date.now() - started))))
  }
  expect(status, JSON.stringify(steps)).toBe('succeeded')
  const world = readWorld() as unknown as {
    nodes: Record<string, { power: string }>
    rgmanager: { services: Record<string, { owner: string }> }
  }
  expect(world.nodes.node2?.power).toBe('off')
  expect(world.rgmanager.services['service:db']?.owner).not.toBe('node2')
}, 150_000)
