// Issue 17: a requester's run SIGKILLed twice (before its plan, then between steps) keeps the requester's scopes.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApiToken } from '../../core/api/index.ts'
import { openStore } from '../../core/store/index.ts'
import { labDest } from '../lab/demo-world.ts'
import { readWorld } from '../lab/world.mjs'
import {
  type DaemonProcess,
  eventually,
  type LabSite,
  query,
  serving,
  spawnDaemon,
  startLabSite,
} from './demo-lab.ts'

const NET = 70
/** A manual policy an `operate` token may ask for: it drains the node's web server. */
const KERNEL_UPDATE = `name: kernel-update
on: manual
if: event.labels.node in inventory.nodes
incident: kernel:\${{ event.labels.node }}
steps:
  - name: drain its web server
    uses: lvs.drain
    with: { service: web, node: "\${{ event.labels.node }}" }
guards:
  approval: none
  require_quorum: true
`
/** The step an admin adds while the request waits: powering the node off needs `fence`. */
const FENCE_STEP = `  - name: power it off for the firmware
    uses: fence.fence
    with: { node: "\${{ event.labels.node }}" }
`
let site: LabSite
let daemon: DaemonProcess
let url: string

beforeAll(async () => {
  site = await startLabSite({
    net: NET,
    smtpPort: 25300 + NET,
    webhookPort: 28300 + NET,
    timing: 'quick',
    policyFiles: { 'kernel-update.yaml': KERNEL_UPDATE },
  })
})
afterAll(async () => {
  daemon?.child.kill('SIGKILL')
  await site?.close()
})

it('keeps an operate caller’s scopes across two SIGKILLs of its run: drained, never fenced', async () => {
  // Armed to die on the first event it applies: the request below, before any policy saw it.
  // A healthy site (its IPVS table as keepalived left it) gives it no other event to apply.
  restoreIpvsTable()
  await start('incident.applied#1')
  const token = await operateToken()
  await eventually(
    async () =>
      (await rows("SELECT state FROM health_states WHERE target = 'cluster'"))[0]?.state === 'up',
    60_000,
    'a quorum verdict',
  )
  expect(await rows('SELECT id, type, subject FROM events')).toEqual([])

  const res = await fetch(new URL('/api/v1/actions', url), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': 'kernel-node1',
    },
    body: JSON.stringify({ policy: 'kernel-update', with: { node: 'node1' }, reason: 'kernel' }),
  })
  expect(res.status).toBe(202) // every step of the policy as it stands is within operate
  const { runId } = (await res.json()) as { runId: string }
  await killedAt('incident.applied')
  expect(await rows(`SELECT status FROM runs WHERE id = '${runId}'`)).toEqual([
    { status: 'queued' },
  ])

  // While tandem is down an admin adds a fencing step; the restarted daemon plans the waiting
  // request with it. The requester's scopes, stored with the request, still decide.
  const file = join(site.policiesDir, 'kernel-update.yaml')
  writeFileSync(file, readFileSync(file, 'utf8').replace('guards:', `${FENCE_STEP}guards:`))
  // Then dies once the drain changed the world, before its outcome is journaled.
  await start('step.acted#1')
  await killedAt('step.acted')
  const [run] = await rows(
    "SELECT id, status, actor, json_extract(trigger, '$.requester') AS requester FROM runs WHERE policy = 'kernel-update' AND plan IS NOT NULL",
  )
  expect(run).toMatchObject({ status: 'running', actor: 'api:ops' })
  expect(JSON.parse(String(run?.requester))).toEqual({ name: 'api:ops', scopes: ['operate'] })
  expect(webWeight('node1')).toBe(0)
  const [drain] = await rows(`SELECT id, status FROM steps WHERE run_id = '${run?.id}' AND idx = 0`)
  expect(drain?.status).toBe('running')

  await start()
  const status = await eventually(
    async () => {
      const [row] = await rows(`SELECT status FROM runs WHERE id = '${run?.id}'`)
      return row?.status !== 'running' && row?.status
    },
    60_000,
    'the resumed run to end',
  )
  expect(status).toBe('aborted') // drained (operate), then refused at the fence
  const steps = await rows(
    `SELECT id, uses, status, blocked_by, error FROM steps WHERE run_id = '${run?.id}' ORDER BY idx`,
  )
  expect(steps.map((s) => [s.uses, s.status, s.blocked_by])).toEqual([
    ['lvs.drain', 'succeeded', null],
    ['fence.fence', 'skipped', 'scope'],
  ])
  expect(String(steps[1]?.error)).toContain(
    'fence.fence needs the "fence" scope; api:ops holds operate',
  )
  expect(
    await rows(`SELECT actor, decision, guard FROM audit_log WHERE step_id = '${steps[1]?.id}'`),
  ).toEqual([{ actor: 'api:ops', decision: 'blocked', guard: 'scope' }])
  // The interrupted drain was read back, not re-fired blindly; the trail stays the requester's.
  expect(
    await rows(`SELECT actor, decision FROM audit_log WHERE step_id = '${drain?.id}' ORDER BY id`),
  ).toEqual([
    { actor: 'api:ops', decision: 'executed' },
    { actor: 'api:ops', decision: 'unknown' },
    { actor: 'api:ops', decision: 'recovered' },
  ])
  // The row the API answered with tells what became of the request.
  const queued = await eventually(
    async () => {
      const [row] = await rows(
        `SELECT status, json_extract(trigger, '$.executedBy') AS executed_by FROM runs WHERE id = '${runId}'`,
      )
      return row?.status !== 'queued' && row
    },
    20_000,
    "the request's queued row to be settled",
  ).catch((error) => {
    console.log(daemon.output())
    throw error
  })
  expect(queued).toEqual({ status: 'failed', executed_by: run?.id })
  // Nothing ran as the daemon: every run and audit entry is the requester's (or the CLI's).
  expect(await rows("SELECT id FROM runs WHERE actor LIKE 'tandem:%'")).toEqual([])
  expect(await rows("SELECT id FROM audit_log WHERE actor LIKE 'tandem:%'")).toEqual([])
  // What the simulated tools did: node1 drained, no fence agent ever called, node1 still on.
  expect(webWeight('node1')).toBe(0)
  expect(webWeight('node2')).toBeGreaterThan(0)
  expect(world().fence.calls).toEqual([])
  expect(world().nodes.node1).toMatchObject({ up: true, power: 'on' })
}, 240_000)

interface LabWorld {
  fence: { calls: unknown[] }
  nodes: Record<string, { up: boolean; power: string }>
}

function world(): LabWorld {
  return readWorld() as unknown as LabWorld
}

function webWeight(node: string): number | undefined {
  const n = Number(node.replace('node', ''))
  return labDest(80, `127.0.${NET}.${n}`)?.weight
}

/** The director's table as `ipvsadm -S` saves it, restored the way an init script does. */
function restoreIpvsTable() {
  const vip = '-t 192.0.2.10:80'
  const rules = [
    `-A ${vip} -s wrr`,
    `-a ${vip} -r 127.0.${NET}.1:8080 -m -w 5`,
    `-a ${vip} -r 127.0.${NET}.2:8080 -m -w 5 -x 200 -y 50`,
    `-a ${vip} -r 127.0.${NET}.3:8080 -m -w 3`,
  ]
  execFileSync('ipvsadm', ['-R'], {
    input: `${rules.join('\n')}\n`,
    env: { ...process.env, TANDEM_LAB_NODE: 'director' },
  })
  expect(webWeight('node1')).toBe(5)
}

async function start(crashAt?: string) {
  daemon = spawnDaemon(site, {
    args: ['--lease', '3s'],
    env: crashAt ? { TANDEM_CRASH_AT: crashAt } : {},
  })
  url = await serving(daemon)
}

async function killedAt(point: string) {
  expect(await daemon.exited).toBe('SIGKILL')
  expect(daemon.output()).toContain(`[crash-points] SIGKILL at ${point}`)
}

async function operateToken(): Promise<string> {
  const store = await openStore(site.storeUrl)
  try {
    return (await createApiToken(store, { name: 'ops', scopes: ['operate'] })).token
  } finally {
    store.close()
  }
}

function rows(sql: string) {
  return query(site, sql)
}
