// A failover that waits for a person, told as one pending story per episode by real mail and signed webhooks, threaded as one conversation each.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApiToken } from '../../core/api/index.ts'
import { failNode, recoverNode } from '../lab/demo-world.ts'
import type { InboxMessage } from '../lab/inbox.ts'
import { type DemoLab, eventually, startDemoLab } from './demo-lab.ts'

// Net 65 is this file's: node addresses 127.0.65.x, mail 25365, webhooks 28365.
const PUBLIC_URL = 'https://tandem.example'

/** The shipped failover cut to what the story needs: wait, fence, relocate; each step approved. */
const POLICY = `
name: node-down-failover
description: Fence a dead cluster node, then move its cluster services to a survivor.
on:
  - event: node.down
    node: node*
if: health.quorate && "cluster" in inventory.nodes[event.subject].roles
for: 2s
incident: node.down:\${{ event.subject }}
steps:
  - name: fence the dead node
    uses: fence.fence
    with: { node: "\${{ event.subject }}" }
    retry: { count: 2, backoff: 1s }
    on_failure: escalate
  - name: relocate its cluster services
    uses: rgmanager.relocate
    foreach: \${{ inventory.nodes[event.subject].cluster_services.filter(s, health.owners[s] == event.subject) }}
    with:
      service: \${{ item }}
      from: \${{ event.subject }}
      node: >-
        \${{ inventory.services[item].preferred.filter(n, n != event.subject
            && health.nodes[n] == "up" && n in health.storage_ready[item])[0] }}
guards:
  approval: required
  require_quorum: true
notify:
  channels: [oncall-mail, ops-webhook]
  on: [started, succeeded, failed, blocked]
`

let lab: DemoLab
let token: string

beforeAll(async () => {
  lab = await startDemoLab({
    net: 65,
    smtpPort: 25365,
    webhookPort: 28365,
    timing: 'quick',
    holdDown: '1s',
    publicUrl: PUBLIC_URL,
    policyFiles: { 'node-down-failover.yaml': POLICY },
  })
  ;({ token } = await createApiToken(lab.daemon.instance.store, {
    name: 'ops',
    scopes: ['fence'],
  }))
}, 120_000)
afterAll(() => lab?.close())

it('waits for approval as a pending story, approved runs, denied ends; each episode one thread', async () => {
  await lab.healthy()

  // Episode 1: node2 dies; every step waits for a person, who approves it.
  failNode('node2')
  const first = await incidentOf('open')
  for (let decided = 0; ; decided++) {
    const id = await eventually(
      async () => (await pendingApproval()) ?? (await runEnded()),
      60_000,
      'an approval to decide or the run to end',
    )
    if (id === 'ended') break
    if (decided === 0) await storyMails(first, 2) // the wait and the first approval were told
    expect(await decide(id, 'approve', { reason: 'on-call checked node2 is dead' })).toBe(200)
  }
  expect(await lab.runStatus('node-down-failover')).toBe('succeeded')
  expect((lab.world() as { nodes: Record<string, { power: string }> }).nodes.node2?.power).toBe(
    'off',
  )
  recoverNode('node2')
  await closed(first)

  // Episode 2, the same node: its own incident and story; this time the fence is denied.
  await nodeUp('node2')
  failNode('node2')
  const second = await incidentOf('open', first)
  const fence = await eventually(pendingApproval, 60_000, 'the fence approval')
  expect(await decide(fence, 'deny', { reason: 'node2 is being serviced' })).toBe(200)
  await eventually(runEnded, 60_000, 'the denied run to end')
  expect(await lab.runStatus('node-down-failover')).toBe('blocked')
  recoverNode('node2')
  await closed(second)

  const approve = (inc: string) => `approve at ${PUBLIC_URL}/incidents/${inc}`
  const told = [
    /^\[tandem\] PENDING: node node2 is down: (in \d s unless it recovers|unless it has just recovered), tandem will fence a dead cluster node, then move its cluster services to a survivor$/,
    new RegExp(
      `^\\[tandem\\] PENDING: node node2 is down: waiting for approval to fence the dead node \\(node/node2\\) — ${literal(approve(first))}$`,
    ),
  ]
  const mails1 = await storyMails(first, 6)
  expectSubjects(mails1, [
    ...told,
    /^\[tandem\] HANDLING: node node2 is down: tandem is handling it \(policy node-down-failover\)$/,
    new RegExp(
      `^\\[tandem\\] PENDING: node node2 is down: waiting for approval to relocate its cluster services \\[db\\] \\(service/db\\) — ${literal(approve(first))}$`,
    ),
    /^\[tandem\] SUCCEEDED: node node2 is down: policy node-down-failover succeeded$/,
    /^\[tandem\] RESOLVED: node node2 is down: policy node-down-failover succeeded — resolved$/,
  ])
  const mails2 = await storyMails(second, 4)
  expectSubjects(mails2, [
    told[0]!,
    new RegExp(
      `^\\[tandem\\] PENDING: node node2 is down: waiting for approval to fence the dead node \\(node/node2\\) — ${literal(approve(second))}$`,
    ),
    /^\[tandem\] BLOCKED: node node2 is down: approval to fence the dead node \(node\/node2\) denied by api:ops; policy node-down-failover stopped$/,
    /^\[tandem\] RESOLVED: node node2 is down: approval to fence .+ denied by api:ops; policy node-down-failover stopped — resolved$/,
  ])
  expect(mails2[2]!.body).toContain('api:ops denied approval')
  expect(mails2[2]!.body).toContain('node2 is being serviced')

  // A mail client's view: each story's first mail is the root, every later one replies to it;
  // the two episodes never share a thread.
  for (const mails of [mails1, mails2]) {
    const [root, ...replies] = mails.map((m) => m.thread!)
    expect(root!.inReplyTo).toBe('')
    for (const reply of replies) {
      expect(reply.inReplyTo).toBe(root!.messageId)
      expect(reply.references).toEqual([root!.messageId])
    }
    expect(new Set(mails.map((m) => m.thread!.messageId)).size).toBe(mails.length)
  }
  expect(mails1[0]!.thread!.messageId).not.toBe(mails2[0]!.thread!.messageId)

  // The webhook tells the same story with one stable id per episode: the incident's.
  for (const [incident, mails] of [
    [first, mails1],
    [second, mails2],
  ] as const) {
    const hooks = await storyHooks(incident)
    expect(hooks.map((h) => h.subject)).toEqual(mails.map((m) => m.subject))
    const ids = hooks.map((h) => `${h.data.incident.id} ${h.data.groupKey}`)
    expect(new Set(ids)).toEqual(new Set([`${incident} thread/ops-webhook/${incident}`]))
  }
  const others = (await lab.inbox.messages()).filter((m) => !/node node2 is down/.test(m.subject))
  console.log(
    `[e2e] approval story: ${first} ${mails1.length} mails, ${second} ${mails2.length} mails; not about node2's story: ${others.map((m) => `${m.channel}: ${m.subject}`).join(' | ') || 'none'}`,
  )
}, 240_000)

/** The newest incident of node2 with `status` (not `except`), once it exists. */
function incidentOf(status: string, except?: string): Promise<string> {
  return eventually(
    async () => {
      const [row] = await lab.rows(
        `SELECT id FROM incidents WHERE key = 'node.down:node2' AND status = '${status}'
         ${except ? `AND id != '${except}'` : ''} ORDER BY opened_at DESC LIMIT 1`,
      )
      return row?.id as string | undefined
    },
    60_000,
    `an ${status} incident of node2`,
  )
}

async function closed(incident: string): Promise<void> {
  await eventually(
    async () =>
      (await lab.rows(`SELECT status FROM incidents WHERE id = '${incident}'`))[0]?.status ===
      'closed',
    60_000,
    `incident ${incident} to close`,
  )
}

async function nodeUp(node: string): Promise<void> {
  await eventually(
    async () =>
      (await lab.rows(`SELECT state FROM health_states WHERE target = 'node/${node}'`))[0]
        ?.state === 'up',
    60_000,
    `${node} up again`,
  )
}

async function pendingApproval(): Promise<string | undefined> {
  const [row] = await lab.rows(
    "SELECT id FROM approvals WHERE status = 'pending' ORDER BY requested_at LIMIT 1",
  )
  return row?.id as string | undefined
}

/** The newest run ended (a run waiting for approval is `blocked` but not finished). */
async function runEnded(): Promise<'ended' | undefined> {
  const [row] = await lab.rows(
    "SELECT finished_at FROM runs WHERE policy = 'node-down-failover' ORDER BY started_at DESC LIMIT 1",
  )
  return row?.finished_at ? 'ended' : undefined
}

/** `POST /api/v1/approvals/:id/{approve,deny}` as the on-call person (an `ops` token). */
async function decide(id: string, decision: 'approve' | 'deny', body: { reason: string }) {
  const answer = await fetch(new URL(`api/v1/approvals/${id}/${decision}`, lab.daemon.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return answer.status
}

/** The mails of one incident's story, in order, once there are `count` of them. */
function storyMails(incident: string, count: number): Promise<InboxMessage[]> {
  return eventually(
    async () => {
      // Each mail links to its incident (daemon.public_url is set).
      const mine = (await lab.inbox.messages()).filter(
        (m) => m.channel === 'email' && m.body.includes(`/incidents/${incident}`),
      )
      return mine.length >= count ? mine : undefined
    },
    60_000,
    `${count} mails about ${incident}`,
  )
}

interface Hook {
  subject: string
  data: { incident: { id: string }; groupKey: string }
}

/** The signed webhooks of one incident's story, in order. */
async function storyHooks(incident: string): Promise<Hook[]> {
  return (await lab.inbox.messages())
    .filter((m) => m.channel === 'webhook' && m.verified)
    .map((m) => ({ subject: m.subject, data: (JSON.parse(m.body) as { data: Hook['data'] }).data }))
    .filter((h) => h.data.incident?.id === incident)
}

function expectSubjects(mails: InboxMessage[], story: RegExp[]) {
  const subjects = mails.map((m) => m.subject)
  expect(subjects, subjects.join('\n')).toHaveLength(story.length)
  for (const [i, subject] of subjects.entries()) expect(subject).toMatch(story[i]!)
}

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
