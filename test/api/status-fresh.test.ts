// The status route answers from a view kept current incrementally: every committed change, by any writer, is in the next answer.
// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are explored as plain JSON here
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fenceStates, healthStates, openStore, type Store } from '../../core/store/index.ts'
import { call, type Harness, health, startHarness } from './harness.ts'

let h: Harness
let other: Store // a second connection to the same file: another tandem process writing
const T = 1_700_000_000_000
beforeAll(async () => {
  h = await startHarness()
  other = await openStore(h.store.url, { migrate: false })
  await h.store.db
    .insert(healthStates)
    .values([
      health('node/node2', 'node', 'up', T),
      health('web/node2/http', 'check', 'up', T),
      { ...health('vm/guest1', 'vm', 'up', T), detail: { host: 'node2' } },
    ])
})
afterAll(async () => {
  other?.close()
  await h?.close()
})

const status = async (headers: Record<string, string> = {}) => {
  const res = await call(h, 'GET', '/api/v1/status', { token: h.tokens.read, headers })
  return { res, body: res.status === 200 ? ((await res.json()) as any) : undefined }
}
const node2 = (body: any) => body.nodes.find((n: any) => n.name === 'node2')
const problem = (body: any, target: string) =>
  body.problems.find((p: any) => p.target === target)?.state

describe('GET /api/v1/status after changes', () => {
  it('shows a change written by another process in the very next answer', async () => {
    expect(node2((await status()).body).health.state).toBe('up')
    await other.db
      .update(healthStates)
      .set({ state: 'down', since: T + 1 })
      .where(eq(healthStates.target, 'node/node2'))
    const { body } = await status()
    expect(node2(body).health).toEqual({ state: 'down', since: T + 1 })
    expect(problem(body, 'node/node2')).toBe('down')
  })

  it('sees changes whose updated_at does not move (same millisecond, or a writer with a slow clock)', async () => {
    for (const state of ['unreachable', 'degraded', 'down'] as const) {
      await other.db
        .update(healthStates)
        .set({ state, updatedAt: T }) // the same updated_at every time
        .where(eq(healthStates.target, 'web/node2/http'))
      const { body } = await status()
      expect(problem(body, 'web/node2/http')).toBe(state)
      const web = body.services.find((s: any) => s.name === 'web')
      expect(web.realServers.find((r: any) => r.node === 'node2').checks.http).toBe(state)
    }
  })

  it('sees raw SQL writers, new rows, details and deleted rows', async () => {
    await other.client.execute(
      `UPDATE health_states SET detail = '{"host":"node3"}' WHERE target = 'vm/guest1'`,
    )
    let body = (await status()).body
    expect(body.vms.find((v: any) => v.name === 'guest1').host).toBe('node3')
    expect(node2(body).guests).toEqual([])
    await other.db.insert(healthStates).values(health('node/node3', 'node', 'down', T))
    body = (await status()).body
    expect(problem(body, 'node/node3')).toBe('down')
    const targets = body.summary.targets
    await other.db.delete(healthStates).where(eq(healthStates.target, 'node/node3'))
    body = (await status()).body
    expect(problem(body, 'node/node3')).toBeUndefined()
    expect(body.summary.targets).toBe(targets - 1)
  })

  it('shows a fence state change, and gives 304 only while nothing changed', async () => {
    const first = await status()
    const etag = first.res.headers.get('etag') ?? ''
    expect(etag).not.toBe('')
    expect((await status({ 'if-none-match': etag })).res.status).toBe(304)
    await other.db
      .insert(fenceStates)
      .values({ node: 'node2', state: 'fencing', method: 'ipmi', updatedAt: T })
    const after = await status({ 'if-none-match': etag })
    expect(after.res.status).toBe(200)
    expect(after.res.headers.get('etag')).not.toBe(etag)
    expect(node2(after.body).fence).toMatchObject({ state: 'fencing', method: 'ipmi' })
  })

  it('answers concurrent requests during a burst of writes with what was committed before each', async () => {
    for (let i = 0; i < 10; i++) {
      const state = i % 2 ? 'up' : 'down'
      await other.db
        .update(healthStates)
        .set({ state, since: T + 100 + i })
        .where(eq(healthStates.target, 'node/node2'))
      const answers = await Promise.all([status(), status(), status()])
      for (const { body } of answers)
        expect(node2(body).health).toEqual({ state, since: T + 100 + i })
    }
  })
})
