// The dashboard in real headless Chromium: the demo cluster, a node failure arriving live, an approval granted by clicking.
// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright innerText is the text a person sees, not a DOM property
import { mkdir } from 'node:fs/promises'
import { eq } from 'drizzle-orm'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  approvals,
  events,
  fenceStates,
  healthStates,
  incidents,
  runs,
  steps,
} from '../../core/store/index.ts'
import { type Harness, health, startHarness } from './harness.ts'

let h: Harness
let browser: Browser
let page: Page

beforeAll(async () => {
  h = await startHarness({ streamPollMs: 200 })
  await seedHealthyDemo(h)
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
})
afterAll(async () => {
  await browser?.close()
  await h?.close()
})

describe('dashboard', () => {
  it('asks for a token, then shows the demo cluster', async () => {
    await page.goto(h.url)
    await page.locator('#token').fill(h.tokens.operate)
    await page.locator('#login-form button').click()
    await expect.poll(() => page.locator('#nodes .node').count(), { timeout: 10_000 }).toBe(5)
    expect(await page.locator('#live').getAttribute('class')).toMatch(/on/)
    const nodes = await page.locator('#nodes').innerText()
    for (const name of ['director', 'storage1', 'node1', 'node2', 'node3'])
      expect(nodes).toContain(name)
    expect(await page.locator('[data-node=node2]').innerText()).toContain('guest1')
    expect(await page.locator('[data-service=db] .owner').innerText()).toBe('node2')
    expect(await page.locator('[data-real-server="web/node3"]').innerText()).toMatch(
      /127\.0\.1\.3:8080[\s\S]*3/,
    )
    expect(await page.locator('#banner').innerText()).toContain('Nothing needs you')
  })

  it('shows a node failure written to the store without a reload', async () => {
    const navigations: string[] = []
    page.on('framenavigated', (f) => navigations.push(f.url()))
    await writeNode2Failure(h)
    await expect
      .poll(() => page.locator('[data-node=node2]').getAttribute('class'), { timeout: 10_000 })
      .toContain('down')
    expect(await page.locator('#banner').innerText()).toContain('node2 is down')
    expect(await page.locator('[data-node=node2]').innerText()).toContain('fence: fenced')
    await expect.poll(() => page.locator('[data-approval]').count(), { timeout: 10_000 }).toBe(1)
    expect(navigations).toEqual([])
  })

  it('opens the incident timeline and saves a screenshot', async () => {
    await page.locator('[data-incident=inc_demo]').click()
    await expect
      .poll(() => page.locator('#incident .timeline li').count(), { timeout: 10_000 })
      .toBeGreaterThan(3)
    const timeline = await page.locator('#incident').innerText()
    expect(timeline).toContain('fence_lab')
    expect(timeline).toContain('clusvcadm -r db -m node3')
    await mkdir('test/artifacts', { recursive: true })
    await page.screenshot({ path: 'test/artifacts/dashboard.png', fullPage: true })
  })

  it('opens on the incident a notice links to (/incidents/<id>), its approval in view', async () => {
    const answer = await page.goto(new URL('incidents/inc_demo', h.url).href)
    expect(answer?.status()).toBe(200)
    await expect
      .poll(() => page.locator('#incident .timeline li').count(), { timeout: 10_000 })
      .toBeGreaterThan(3)
    expect(await page.locator('#incident').innerText()).toContain('clusvcadm -r db -m node3')
    await expect.poll(() => page.locator('[data-approval=apr_demo]').count()).toBe(1)
  })

  it('grants an approval by clicking, and the page follows', async () => {
    await page.locator('[data-approval=apr_demo] button[data-decision=approve]').click()
    await page.locator('[data-approval=apr_demo] input[name=reason]').fill('node2 confirmed off')
    await page.locator('[data-approval=apr_demo] button[data-act=decide]').click()
    await expect
      .poll(
        async () =>
          (await h.store.db.select().from(approvals).where(eq(approvals.id, 'apr_demo')))[0]
            ?.status,
        { timeout: 10_000 },
      )
      .toBe('approved')
    const [row] = await h.store.db.select().from(approvals).where(eq(approvals.id, 'apr_demo'))
    expect(row).toMatchObject({ decidedBy: 'api:operate-user', reason: 'node2 confirmed off' })
    await expect.poll(() => page.locator('[data-approval]').count(), { timeout: 10_000 }).toBe(0)
  })
})

/** What the probes would have written for a healthy demo cluster: db runs on node2. */
async function seedHealthyDemo(h: Harness) {
  const since = Date.now() - 3 * 3_600_000
  const rows = [
    ...['director', 'storage1', 'node1', 'node2', 'node3'].map((n) =>
      health(`node/${n}`, 'node', 'up', since),
    ),
    ...['node1', 'node2', 'node3'].map((n) => health(`web/${n}/http`, 'check', 'up', since)),
    ...['node1', 'node2', 'node3'].map((n) => health(`db/${n}/pg`, 'check', 'up', since)),
    {
      ...health('service/web', 'service', 'up', since),
      detail: { realServers: { node1: { weight: 5 }, node2: { weight: 5 }, node3: { weight: 3 } } },
    },
    { ...health('service/db', 'service', 'up', since), detail: { owner: 'node2' } },
    { ...health('vm/guest1', 'vm', 'up', since), detail: { host: 'node2' } },
    { ...health('vm/guest2', 'vm', 'up', since), detail: { host: 'node1' } },
    health('gfs-data', 'storage', 'up', since),
    health('data-export', 'storage', 'up', since),
  ]
  await h.store.db.insert(healthStates).values(rows)
  await h.store.db
    .insert(fenceStates)
    .values(['node1', 'node2', 'node3'].map((node) => ({ node, state: 'clean', updatedAt: since })))
}

/** What health, policy and executor would write when node2 dies. */
async function writeNode2Failure(h: Harness) {
  const now = Date.now()
  const { db } = h.store
  const down = { state: 'down', since: now - 20_000, updatedAt: now }
  for (const target of ['node/node2', 'web/node2/http', 'db/node2/pg'])
    await db.update(healthStates).set(down).where(eq(healthStates.target, target))
  await db
    .update(healthStates)
    .set({
      state: 'degraded',
      updatedAt: now,
      detail: { realServers: { node1: { weight: 5 }, node2: { weight: 0 }, node3: { weight: 3 } } },
    })
    .where(eq(healthStates.target, 'web'))
  await db
    .update(fenceStates)
    .set({ state: 'fenced', method: 'ipmi-node2', incidentId: 'inc_demo', updatedAt: now })
    .where(eq(fenceStates.node, 'node2'))
  const [event] = await db
    .insert(events)
    .values({
      type: 'node.down',
      subject: 'node2',
      at: now - 20_000,
      labels: { severity: 'critical', node: 'node2' },
      payload: {
        detail: 'director: tcp/22 refused 3×; cluster: node2 offline (2 of 2 vantage points)',
      },
    })
    .returning()
  await db.insert(incidents).values({
    id: 'inc_demo',
    key: 'node.down:node2',
    status: 'open',
    title: 'node2 is down',
    openedAt: now - 19_000,
    eventId: event?.id,
  })
  await db.insert(runs).values({
    id: 'run_demo',
    incidentId: 'inc_demo',
    policy: 'node-down-failover',
    trigger: { eventId: event?.id },
    status: 'running',
    actor: 'policy',
    startedAt: now - 18_000,
  })
  await db.insert(steps).values([
    {
      id: 'run_demo/1',
      runId: 'run_demo',
      index: 1,
      name: 'fence node2',
      uses: 'fence.fence',
      input: { node: 'node2' },
      commands: [['fence_lab', '-o', 'off', '-n', 'node2']],
      status: 'succeeded',
      idempotencyKey: 'inc_demo/1',
      target: 'node/node2',
      result: { summary: 'node2 powered off; status confirms off' },
      startedAt: now - 17_000,
      finishedAt: now - 12_000,
    },
    {
      id: 'run_demo/2',
      runId: 'run_demo',
      index: 2,
      name: 'drain node2 from web',
      uses: 'lvs.drain',
      input: { service: 'web', node: 'node2' },
      commands: [['ipvsadm', '-e', '-t', '192.0.2.10:80', '-r', '127.0.1.2:8080', '-m', '-w', '0']],
      status: 'succeeded',
      idempotencyKey: 'inc_demo/2',
      target: 'lvs/web/node2',
      result: { summary: 'weight 5 → 0' },
      startedAt: now - 11_000,
      finishedAt: now - 10_500,
    },
    {
      id: 'run_demo/3',
      runId: 'run_demo',
      index: 3,
      name: 'relocate db to node3',
      uses: 'rgmanager.relocate',
      input: { service: 'db', node: 'node3' },
      commands: [['clusvcadm', '-r', 'db', '-m', 'node3']],
      status: 'blocked',
      blockedBy: 'approval',
      idempotencyKey: 'inc_demo/3',
      target: 'service/db',
    },
  ])
  await db.insert(approvals).values({
    id: 'apr_demo',
    stepId: 'run_demo/3',
    status: 'pending',
    requestedAt: now - 10_000,
    expiresAt: now + 15 * 60_000,
  })
}
