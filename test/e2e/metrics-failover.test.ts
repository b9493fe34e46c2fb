// Issue 17 finding 7: after a failover every documented metric has moved, and promtool accepts /metrics.
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApiToken } from '../../core/api/index.ts'
import { events } from '../../core/store/index.ts'
import { shortWaitPolicies } from '../helpers/short-waits.ts'
import { failNode } from '../lab/demo-world.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

let lab: DemoLab
beforeAll(async () => {
  // The shipped probe intervals: under a full suite on two cores the quick 1 s probes let a
  // probe time out often enough for the failover to be held (blocked) now and then, which is not
  // what this test is about. Only the failover's `for:` and back-off are cut (not what it tests).
  lab = await startDemoLab({
    net: 52,
    smtpPort: 25352,
    webhookPort: 28352,
    timing: 'demo',
    policyFiles: shortWaitPolicies(),
  })
})
afterAll(() => lab?.close())

/** Every in-process metric docs/api.md lists, with a sample that must have moved. */
const MOVED: [name: string, labels: string][] = [
  ['tandem_probe_latency_seconds_count', 'kind="tcp"'],
  ['tandem_events_total', 'type="node.down"'],
  ['tandem_events_total', 'type="alert.received"'],
  ['tandem_actions_total', 'uses="fence.fence",outcome="succeeded"'],
  ['tandem_actions_total', 'uses="rgmanager.relocate",outcome="succeeded"'],
  ['tandem_guard_blocks_total', 'guard="scope"'],
  ['tandem_scheduler_lag_seconds_count', 'job="probe"'],
  ['tandem_scheduler_lag_seconds_count', 'job="tick"'],
  ['tandem_db_latency_seconds_count', 'op="write"'],
  ['tandem_http_requests_total', 'route="/ingest/alertmanager",status="2xx"'],
  ['tandem_ingest_alerts_total', 'source="alertmanager",outcome="stored"'],
]

it('moves every documented metric through a failover, a refused request and an alert', async () => {
  await lab.healthy()
  const store = lab.daemon.instance.store
  const { token } = await createApiToken(store, { name: 'metrics', scopes: ['read', 'ingest'] })
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const scrape = async () => (await fetch(new URL('metrics', lab.daemon.url), { headers })).text()
  const before = parse(await scrape())

  failNode('node2')
  expect(await lab.finished('node-down-failover')).toBe('succeeded')
  // A request the executor refuses (an operate requester asking to fence): a guard block.
  await store.db.insert(events).values({
    type: 'manual',
    subject: 'node1',
    at: Date.now(),
    labels: { severity: 'info', actor: 'api:ops', node: 'node1' },
    payload: {
      uses: 'fence.fence',
      with: { node: 'node1' },
      reason: 'metrics test',
      requester: { name: 'api:ops', scopes: ['operate'] },
    },
    dedupKey: 'manual:test:metrics-0001',
  })
  lab.daemon.instance.wake()
  const ingest = await fetch(new URL('ingest/alertmanager', lab.daemon.url), {
    method: 'POST',
    headers,
    body: JSON.stringify({
      version: '4',
      groupKey: 'g',
      status: 'firing',
      receiver: 'tandem',
      alerts: [
        { status: 'firing', labels: { alertname: 'Disk' }, startsAt: new Date().toISOString() },
      ],
    }),
  })
  expect(ingest.status).toBe(200)
  await lab.caughtUp()

  const text = await eventually(
    async () => {
      const t = await scrape()
      return parse(t).get('tandem_guard_blocks_total{guard="scope"}') ? t : undefined
    },
    30_000,
    'the refused request to be counted',
  )
  const after = parse(text)
  const still = MOVED.filter(([name, labels]) => {
    const key = `${name}{${labels}}`
    return !((after.get(key) ?? 0) > (before.get(key) ?? 0))
  })
  expect(still, 'metrics that did not move').toEqual([])
  // The lab world: node1 was never fenced by the refused request.
  expect((lab.world() as { nodes: Record<string, { power: string }> }).nodes.node1?.power).toBe(
    'on',
  )

  // The real Prometheus parser and linter (it reads the exposition on stdin).
  const checked = await promtool(text)
  if (checked === undefined) {
    if (process.env.CI) throw new Error('promtool must be installed in CI (Debian prometheus)')
    console.warn('[metrics] promtool is not installed: /metrics not checked by the real parser')
    return
  }
  expect(checked).toEqual({ code: 0, output: '' })
}, 180_000)

/** `promtool check metrics` over `text`: exit code and output, or undefined when absent. */
function promtool(text: string): Promise<{ code: number | null; output: string } | undefined> {
  return new Promise((resolve) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', () => resolve(undefined))
    child.on('close', (code) => resolve({ code, output }))
    child.stdin.end(text)
  })
}

/** `name{labels}` → value, for every sample line of the exposition text. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const match = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line)
    if (match) samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]))
  }
  return samples
}
