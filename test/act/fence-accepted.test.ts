// One power-off per episode: a fence device that accepts `off` and then refuses the status
// read-back is only re-read, never asked to power the node off again (the lab's fence_lab).
import { eq } from 'drizzle-orm'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createExecutor, createHealthClusterView } from '../../core/act/index.ts'
import { Config, createInventory, createSecretResolver } from '../../core/inventory/index.ts'
import { createLogger } from '../../core/log.ts'
import { createRegistry } from '../../core/plugin-host/index.ts'
import type { Plan } from '../../core/policy/index.ts'
import { fenceStates, openStore, type Store } from '../../core/store/index.ts'
import fence from '../../plugins/fence/index.ts'
import { collectNotices, fakeClock, labDir, setHealth, step } from '../fixtures/act-lab.ts'
import { LAB_BIN } from '../lab/plugin-context.ts'
import { readWorld, updateWorld } from '../lab/world.mjs'

const PASSWORD = 'bmc-Lk3#accepted-off'
const BMC = '10.0.0.3'
let lab: ReturnType<typeof labDir>
let store: Store

beforeEach(async () => {
  lab = labDir()
  process.env.TANDEM_BMC_PW = PASSWORD
  // The BMC powers node3 off, then its management port is gone: every later login fails.
  updateWorld((world) => {
    Object.assign(world, {
      fence: { devices: { [BMC]: { password: PASSWORD, behaviour: 'drops' } } },
    })
  })
  store = await openStore(lab.store)
  // node3 is down in tandem's sight: once powered off it is silent, so a read "off" confirms.
  await setHealth(store, { quorate: true, nodes: { node3: 'down' } })
})

afterEach(() => {
  store.close()
  lab.cleanup()
})

function executor(notices = collectNotices()) {
  const config = Config.parse({
    cluster: { name: 'lab', manager: 'rgmanager' },
    nodes: ['node1', 'node2', 'node3'].map((name) => ({ name, address: '127.0.0.1' })),
    fencing: {
      devices: [
        {
          name: 'ipmi-node3',
          agent: 'fence_lab',
          options: { ip: BMC, username: 'admin', password: 'env:TANDEM_BMC_PW' },
        },
      ],
      nodes: [{ node: 'node3', levels: [['ipmi-node3']] }],
    },
    plugins: { fence: { agents_dir: LAB_BIN, confirm_attempts: 2, confirm_interval: '50ms' } },
  })
  const inventory = createInventory(config)
  const secrets = createSecretResolver()
  const log = createLogger({
    level: 'error',
    redactValues: secrets.known,
    destination: { write: () => true } as unknown as NodeJS.WritableStream,
  })
  return createExecutor({
    store,
    registry: createRegistry([fence]),
    inventory,
    secrets,
    log,
    notices,
    clock: fakeClock(Date.now()),
    clusterView: createHealthClusterView(store.db, inventory),
  })
}

function fencePlan(at: number): Plan {
  return {
    policy: 'node-down-failover',
    file: 'policies/node-down.yaml',
    event: { type: 'node.down', subject: 'node3', at, labels: { node: 'node3' }, payload: {} },
    incidentKey: 'node.down:node3',
    steps: [
      step(
        '1',
        'fence.fence',
        { node: 'node3' },
        { retry: { count: 2, backoffMs: 100 }, onFailure: 'escalate' },
      ),
    ],
    guards: { requireQuorum: true, maintenanceAware: true, approval: 'none' },
    notify: { channels: [], on: [] },
    dryRun: false,
  }
}

/** What the lab's BMC was asked for node3, in order (the world's record, not tandem's). */
function bmcCalls(): string[] {
  const world = readWorld() as { fence?: { calls?: { plug: string; action: string }[] } }
  return (world.fence?.calls ?? []).filter((c) => c.plug === 'node3').map((c) => c.action)
}

async function fenceRow() {
  const [row] = await store.db.select().from(fenceStates).where(eq(fenceStates.node, 'node3'))
  return row
}

it('an accepted power-off whose status never answers is re-read, not sent again', async () => {
  const notices = collectNotices()
  const report = await executor(notices).execute(fencePlan(Date.now()))

  expect(report.steps.map((s) => s.status)).toEqual(['failed'])
  // The world: node3 was powered off once; everything after was a status read.
  expect(readWorld().nodes.node3).toMatchObject({ power: 'off', up: false })
  const calls = bmcCalls()
  expect(calls.filter((a) => a === 'off')).toHaveLength(1)
  expect(calls[0]).toBe('off')
  expect(calls.slice(1).every((a) => a === 'status')).toBe(true)
  // Unclean, with the reason a person can act on, and a critical escalation.
  const row = await fenceRow()
  expect(row?.state).toBe('unclean')
  expect(row?.reason).toMatch(
    /power-off of node3 was accepted, not confirmed; it is not sent again/,
  )
  expect(row?.reason).toContain('Unable to connect/login')
  expect(row?.offAcceptedAt).not.toBeNull()
  expect(notices.escalations.map((e) => e.severity)).toContain('critical')

  // A later fence of the same episode, once the BMC answers again: status confirms, no new off.
  updateWorld((world) => {
    ;(world as unknown as { fence: { devices: Record<string, unknown> } }).fence.devices[BMC] = {
      password: PASSWORD,
    }
  })
  const again = await executor().execute(fencePlan(Date.now() + 1_000))
  expect(again.steps.map((s) => s.status)).toEqual(['succeeded'])
  expect(bmcCalls().filter((a) => a === 'off')).toHaveLength(1)
  expect(bmcCalls().at(-1)).toBe('status')
  expect(await fenceRow()).toMatchObject({ state: 'fenced' })
})

it('fences anew when the re-read answers "on": the accepted power-off did not take', async () => {
  const first = await executor().execute(fencePlan(Date.now()))
  expect(first.steps.map((s) => s.status)).toEqual(['failed'])
  expect(bmcCalls().filter((a) => a === 'off')).toHaveLength(1)

  // Someone powered node3 back on while the BMC was unreachable; the BMC answers again.
  updateWorld((world) => {
    const w = world as unknown as {
      nodes: Record<string, { up: boolean; power: string }>
      fence: { devices: Record<string, unknown> }
    }
    w.nodes.node3 = { up: true, power: 'on' }
    w.fence.devices[BMC] = { password: PASSWORD }
  })
  const again = await executor().execute(fencePlan(Date.now() + 1_000))

  // The status said ON: the earlier off failed, so this episode may (and must) fence again.
  expect(again.steps.map((s) => s.status)).toEqual(['succeeded'])
  expect(bmcCalls().filter((a) => a === 'off')).toHaveLength(2)
  expect(readWorld().nodes.node3).toMatchObject({ power: 'off', up: false })
  expect(await fenceRow()).toMatchObject({ state: 'fenced' })
})
