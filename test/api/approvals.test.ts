// Approvals: decided once, before expiry, with the scope the step needs; signed links are single-use and expiring.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signApprovalLink, signApprovalToken } from '../../core/api/index.ts'
import { approvals, auditLog, steps } from '../../core/store/index.ts'
import { call, type Harness, LINK_SECRET, seedIncident, startHarness } from './harness.ts'

let h: Harness
let n = 0
beforeAll(async () => {
  h = await startHarness({ publicUrl: 'http://tandem.test' })
})
afterAll(async () => h?.close())

const seed = () => seedIncident(h.store, Date.now(), `apr${++n}`)
const approvalRow = async (id: string) =>
  (await h.store.db.select().from(approvals).where(eq(approvals.id, id)))[0]

describe('approve and deny', () => {
  it('approves once: the row the executor polls changes, the audit says who and why', async () => {
    const { approvalId, runId } = await seed()
    const res = await call(h, 'POST', `/api/v1/approvals/${approvalId}/approve`, {
      token: h.tokens.operate,
      body: { reason: 'node2 is confirmed off' },
    })
    expect(res.status).toBe(200)
    expect(await approvalRow(approvalId)).toMatchObject({
      status: 'approved',
      decidedBy: 'api:operate-user',
      reason: 'node2 is confirmed off',
    })
    const again = await call(h, 'POST', `/api/v1/approvals/${approvalId}/deny`, {
      token: h.tokens.operate,
      body: { reason: 'changed my mind' },
    })
    expect(again.status).toBe(409)
    expect((await approvalRow(approvalId))?.status).toBe('approved')
    const audit = await h.store.db.select().from(auditLog).where(eq(auditLog.runId, runId))
    expect(audit.filter((a) => a.guard === 'approval')).toEqual([
      expect.objectContaining({
        decision: 'approved',
        actor: 'api:operate-user',
        action: 'rgmanager.relocate',
      }),
    ])
  })

  it('decides exactly once when two people click at the same moment', async () => {
    const { approvalId } = await seed()
    const clicks = await Promise.all(
      ['approve', 'deny', 'approve', 'deny'].map((d) =>
        call(h, 'POST', `/api/v1/approvals/${approvalId}/${d}`, {
          token: h.tokens.operate,
          body: { reason: 'r' },
        }),
      ),
    )
    expect(clicks.map((r) => r.status).sort()).toEqual([200, 409, 409, 409])
  })

  it('wants a reason to deny, and refuses an expired approval with 410', async () => {
    const { approvalId } = await seed()
    const bare = await call(h, 'POST', `/api/v1/approvals/${approvalId}/deny`, {
      token: h.tokens.operate,
      body: {},
    })
    expect(bare.status).toBe(400)
    await h.store.db
      .update(approvals)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(approvals.id, approvalId))
    const late = await call(h, 'POST', `/api/v1/approvals/${approvalId}/approve`, {
      token: h.tokens.operate,
      body: {},
    })
    expect(late.status).toBe(410)
    // Still undecided; the executor's tick marks it expired and tells people.
    expect((await approvalRow(approvalId))?.status).toBe('pending')
  })

  it('needs the fence scope to approve a fencing step', async () => {
    const { approvalId, stepId } = await seed()
    await h.store.db.update(steps).set({ uses: 'fence.fence' }).where(eq(steps.id, stepId))
    const operate = await call(h, 'POST', `/api/v1/approvals/${approvalId}/approve`, {
      token: h.tokens.operate,
      body: {},
    })
    expect(operate.status).toBe(403)
    const fence = await call(h, 'POST', `/api/v1/approvals/${approvalId}/approve`, {
      token: h.tokens.fence,
      body: {},
    })
    expect(fence.status).toBe(200)
  })

  it('lists pending approvals with the step, its commands and no secrets', async () => {
    const { approvalId } = await seed()
    const res = await call(h, 'GET', '/api/v1/approvals', { token: h.tokens.read })
    const body = (await res.json()) as {
      items: { id: string; step: { uses: string; commands: unknown[] } }[]
    }
    const item = body.items.find((i) => i.id === approvalId)
    expect(item?.step.uses).toBe('rgmanager.relocate')
    expect(item?.step.commands).toEqual([
      { argv: ['clusvcadm', '-r', 'db', '-m', 'node3'], node: 'node1', note: 'move db to node3' },
    ])
  })
})

describe('signed approval links', () => {
  const link = (
    approvalId: string,
    decision: 'approve' | 'deny',
    expiresAt = Date.now() + 60_000,
  ) => signApprovalLink({ secret: LINK_SECRET, baseUrl: h.url, approvalId, decision, expiresAt })

  it('opens a confirmation page that decides nothing (mail scanners prefetch links)', async () => {
    const { approvalId } = await seed()
    const res = await fetch(link(approvalId, 'approve'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toContain("script-src 'nonce-")
    const html = await res.text()
    expect(html).toContain('Approve this step?')
    expect(html).toContain('clusvcadm -r db -m node3')
    expect((await approvalRow(approvalId))?.status).toBe('pending')
  })

  it('decides on POST, once: the second use of either link is refused', async () => {
    const { approvalId } = await seed()
    const approveUrl = link(approvalId, 'approve')
    const first = await fetch(approveUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(first.status).toBe(200)
    expect(await approvalRow(approvalId)).toMatchObject({
      status: 'approved',
      decidedBy: 'link:approve',
    })
    const replay = await fetch(approveUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(replay.status).toBe(409)
    const deny = await fetch(link(approvalId, 'deny'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'too late' }),
    })
    expect(deny.status).toBe(409)
    expect((await fetch(approveUrl)).status).toBe(200) // the page now says it was used
  })

  it('refuses a tampered, forged, expired or form-posted link', async () => {
    const { approvalId } = await seed()
    const other = await seed()
    const good = link(approvalId, 'approve')
    const [body, mac] = good.split('/approve/')[1]!.split('.')
    const swapped = Buffer.from(
      JSON.stringify({ a: other.approvalId, d: 'approve', e: Date.now() + 60_000 }),
    ).toString('base64url')
    const post = (url: string, type = 'application/json') =>
      fetch(url, { method: 'POST', headers: { 'content-type': type }, body: '{}' })
    expect((await post(`${h.url}/approve/${swapped}.${mac}`)).status).toBe(403)
    const forged = signApprovalToken('another-secret-entirely-123456', {
      approvalId,
      decision: 'approve',
      expiresAt: Date.now() + 60_000,
    })
    expect((await post(`${h.url}/approve/${forged}`)).status).toBe(403)
    expect((await post(link(approvalId, 'approve', Date.now() - 1))).status).toBe(410)
    expect((await post(good, 'application/x-www-form-urlencoded')).status).toBe(415)
    expect(body).toBeTruthy()
    expect((await approvalRow(approvalId))?.status).toBe('pending')
    expect((await approvalRow(other.approvalId))?.status).toBe('pending')
  })
})
