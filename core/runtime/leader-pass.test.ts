// The leader pass: only the lease holder works, and a new token first carries out the requests its predecessor stranded.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { insertQueuedRun } from '../act/index.ts'
import { insertEvent } from '../events/index.ts'
import { createReloadableInventory, createSecretResolver, parseConfig } from '../inventory/index.ts'
import { createLogger } from '../log.ts'
import { createMetrics, tandemMetrics } from '../metrics/index.ts'
import { createNotifier } from '../notify/index.ts'
import { createRegistry } from '../plugin-host/index.ts'
import { createPolicySet } from '../policy/index.ts'
import { acquireLease, cursors, openStore, runs, type Store } from '../store/index.ts'
import { buildExecutor } from './executor-setup.ts'
import { createLeaderLoop, EVENTS_CURSOR } from './leader-pass.ts'
import { createLeadership, LEADER_LEASE } from './leadership.ts'
import { createRunTracker } from './run-tracker.ts'

let dir: string
let store: Store

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leader-pass-'))
  store = await openStore(`file:${join(dir, 'tandem.db')}`)
})

afterEach(async () => {
  store.close()
  await rm(dir, { recursive: true, force: true })
})

/** A leader pass for instance `id` over the test store, with no policies and no plugins. */
async function leaderPass(id: string) {
  const inventory = createReloadableInventory(
    parseConfig(
      'leader-pass.yaml',
      'cluster: { name: demo, manager: rgmanager }\nnodes:\n  - { name: node1, address: 127.0.1.1 }\n',
    ),
  )
  const log = createLogger({ level: 'silent' })
  const secrets = createSecretResolver()
  const registry = createRegistry([])
  const leadership = createLeadership(store, id, 60_000, log)
  const notifier = createNotifier({ store, inventory, registry, secrets, log })
  const executor = buildExecutor({ store, registry, inventory, secrets, log, notices: notifier })
  const policies = await createPolicySet({ dir, registry, inventory, store, log })
  const runs = createRunTracker(log)
  const metrics = tandemMetrics(createMetrics())
  const world = { store, inventory, registry, log, leadership }
  const lead = createLeaderLoop({ ...world, policies, executor, notifier, metrics, runs })
  return { lead, close: () => policies.close() }
}

/** An API request the previous leader took past the cursor and died before carrying out. */
async function strandedRequest(): Promise<string> {
  const runId = 'run_stranded'
  const [[event]] = await store.db.batch([
    insertEvent(store.db, {
      type: 'manual',
      subject: 'node1',
      at: Date.now(),
      labels: { severity: 'info', actor: 'api:ana' },
      payload: {
        uses: 'lab.reboot',
        with: { node: 'node1' },
        runId,
        requester: { name: 'api:ana', scopes: [] },
      },
      dedupKey: 'manual:test:1',
    }),
  ])
  await store.db.batch([
    insertQueuedRun(store.db, {
      id: runId,
      policy: 'manual',
      trigger: sql`json_object('kind', 'manual', 'eventId', ${event?.id})`,
      dryRun: false,
      actor: 'api:ana',
      startedAt: Date.now(),
    }),
    store.db
      .insert(cursors)
      .values({ name: EVENTS_CURSOR, position: event?.id ?? 0, updatedAt: 0 }),
  ])
  return runId
}

const statusOf = async (runId: string) =>
  (await store.db.select().from(runs)).find((r) => r.id === runId)

it('does nothing while another instance holds the lease', async () => {
  const runId = await strandedRequest()
  await acquireLease(store.db, LEADER_LEASE, 'other', 60_000)
  const pass = await leaderPass('me')
  expect(await pass.lead({ wait: true })).toEqual({ leading: false, events: 0 })
  expect((await statusOf(runId))?.status).toBe('queued')
  await pass.close()
})

it('carries out a stranded request once it takes the lease, and closes its queued row', async () => {
  const runId = await strandedRequest()
  const pass = await leaderPass('me')
  expect((await pass.lead({ wait: true })).leading).toBe(true)
  const row = await statusOf(runId)
  // No plugin has the action here: the request fails, and the row says so instead of waiting on.
  expect(row?.status).toBe('failed')
  expect(String((row?.trigger as { error?: string } | undefined)?.error)).toMatch(/lab\.reboot/)
  await pass.close()
})
