// The site editor in real Chromium: an admin adds a real server (bad weight first), previews,
// saves with apply; the file keeps its comments, the daemon reloads, the lab's ipvsadm lists it.
// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright innerText is the text a person sees, not a DOM property
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApiToken } from '../../core/api/index.ts'
import { type Daemon, startDaemon } from '../../core/runtime/index.ts'
import { eventually, type LabSite, query, startLabSite } from './demo-lab.ts'

// Net 69 is this file's: node addresses 127.0.69.x, mail 25369, webhooks 28369.
const NET = 69
const NODE3 = `127.0.${NET}.3:8080`
/**
 * The editor's forms never navigate (their submit is handled in the page): waits are on what the
 * page shows. On a loaded machine, Playwright's wait for a navigation after a submit click timed out.
 */
const NO_NAVIGATION = { noWaitAfter: true }

let site: LabSite
let daemon: Daemon
let browser: Browser
let page: Page
let admin: string
let reader: string
const consoleErrors: string[] = []

beforeAll(async () => {
  // One policy, dry run: the preview says whose matches change, and a quiet lab stays quiet.
  const realServerFailed = readFileSync('policies/real-server-failed.yaml', 'utf8')
  site = await startLabSite({
    net: NET,
    smtpPort: 25300 + NET,
    webhookPort: 28300 + NET,
    timing: 'quick',
    policyFiles: { 'real-server-failed.yaml': `${realServerFailed}dry_run: true\n` },
  })
  // The site starts without node3 behind web: the editor adds it back.
  const text = readFileSync(site.configFile, 'utf8')
  const without = text.replace(/\n {6}- \{ node: node3, port: 8080, weight: 3 \}/, '')
  if (without === text) throw new Error('[e2e] tandem.yaml changed: update the node3 line here')
  writeFileSync(site.configFile, without)
  daemon = await startDaemon({
    configFile: site.configFile,
    policiesDir: site.policiesDir,
    storeUrl: site.storeUrl,
    log: silentLog(),
  })
  await daemon.instance.ready(30_000)
  await daemon.instance.lead()
  await daemon.instance.executor.runManual('lvs.reconcile', {}, { actor: 'e2e' })
  admin = (await createApiToken(daemon.instance.store, { name: 'editor', scopes: ['admin'] })).token
  reader = (await createApiToken(daemon.instance.store, { name: 'viewer', scopes: ['read'] })).token
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // The SIGHUP case signals this process (the daemon's): Playwright must not close Chromium on it.
    handleSIGHUP: false,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  })
  page = await signIn(admin)
}, 90_000)

afterAll(async () => {
  if (daemonErrors.length > 0) console.error(`[e2e] daemon errors:\n${daemonErrors.join('\n')}`)
  await browser?.close()
  await daemon?.stop()
  await site?.close()
})

it('adds a real server: schema error at the field, preview, save with apply, reload, ipvsadm', async () => {
  expect(await ipvsTable()).not.toContain(NODE3)
  await page.getByRole('button', { name: 'Edit site' }).click()
  const form = page.getByRole('form', { name: 'Add a real server to web' })
  await form.getByLabel('node (required)').fill('node3')
  await form.getByLabel(/^port/).fill('8080')
  await form.getByLabel(/^weight/).fill('-5')
  await form.getByRole('button', { name: 'Preview addition' }).click(NO_NAVIGATION)

  // The loader's own message, next to the weight input, marked invalid and announced.
  const weight = form.getByLabel(/^weight/)
  await expect.poll(() => weight.getAttribute('aria-invalid'), { timeout: 30_000 }).toBe('true')
  const said = await page.locator(`#${await weight.getAttribute('aria-describedby')}`).innerText()
  expect(said).toBe('must be at least 0, got number -5')
  expect(await page.locator('#editor-errors').innerText()).toContain(
    'services[0].real_servers[2].weight: must be at least 0',
  )
  expect(await page.locator('#editor-preview').isHidden()).toBe(true)

  // Fixed: the preview shows what lvs.reconcile would run against the director's table now.
  await weight.fill('3')
  await form.getByRole('button', { name: 'Preview addition' }).click(NO_NAVIGATION)
  await previewed()
  expect(await page.locator('#preview-commands').innerText()).toMatch(
    /-a -t 192\.0\.2\.10:80 -r 127\.0\.69\.3:8080 -m -w 3/,
  )
  const targets = await page.locator('#preview-targets').innerText()
  expect(targets).toContain('check added: web/node3/http')
  expect(targets).toContain('real server added: web/node3')
  // The new real server's check becomes a subject of real-server-failed.
  expect(await page.locator('#preview-policies').innerText()).toContain(
    'real-server-failed now matches check.failed web/node3/http\n+ lvs.drain service=web node=node3',
  )
  expect(await page.locator('#preview-diff').innerText()).toContain('+      - node: node3')
  expect(await weight.getAttribute('aria-invalid')).toBeNull()

  await page.getByLabel('Why (goes to the audit log)').fill('node3 serves web again')
  await page.getByLabel(/Apply now/).check()
  await page.getByRole('button', { name: 'Save', exact: true }).click(NO_NAVIGATION)
  const status = page.locator('#editor-status')
  await expect
    .poll(() => status.innerText(), { timeout: 30_000 })
    .toMatch(/lvs\.reconcile queued as run_/)
  expect(await status.innerText()).toContain('The daemon runs it now.')

  // On disk: every comment kept, the new entry written, the old text beside it.
  const saved = readFileSync(site.configFile, 'utf8')
  expect(saved).toContain('# tandem demo: a three-node Red Hat cluster behind an LVS director.')
  expect(saved).toContain('# (fall 5: the table is empty at boot')
  expect(saved).toMatch(/- node: node3\n\s+port: 8080\n\s+weight: 3\n/)
  expect(existsSync(`${site.configFile}.prev`)).toBe(true)

  // The daemon runs the new config: the dashboard shows node3 behind web, the director has it.
  await expect
    .poll(() => page.locator('[data-real-server="web/node3"]').count(), { timeout: 30_000 })
    .toBe(1)
  const table = await eventually(
    async () => ((await ipvsTable()).includes(NODE3) ? ipvsTable() : undefined),
    60_000,
    'node3 in the director table',
  )
  expect(table).toMatch(new RegExp(`-> ${NODE3.replaceAll('.', '\\.')}\\s+Masq\\s+3\\s`))
  // The apply's run: the saving token's, through the executor, and it ended well.
  const run = await eventually(
    async () => {
      const [row] = await query(
        site,
        "SELECT status FROM runs WHERE policy = 'manual' AND actor = 'api:editor'",
      )
      return row && !['queued', 'running'].includes(String(row.status)) ? row.status : undefined
    },
    30_000,
    'the apply run to end',
  )
  expect(run).toBe('succeeded')
  const [audit] = await query(site, "SELECT reason FROM audit_log WHERE action = 'config.save'")
  expect(String(audit?.reason)).toContain('node3 serves web again')
  // Its probes run too: web/node3/http gets a verdict from the new config's check.
  await probedUp('web/node3/http')
}, 240_000)

it('detects an edit made on disk after the preview and shows both versions', async () => {
  const form = page.getByRole('form', { name: 'Real server node1 of web' })
  await form.getByLabel(/^weight/).fill('4')
  await form.getByRole('button', { name: 'Preview change' }).click(NO_NAVIGATION)
  await previewed()
  // Someone edits the file by hand meanwhile.
  const byHand = `${readFileSync(site.configFile, 'utf8')}# edited by hand during the preview\n`
  writeFileSync(site.configFile, byHand)
  await page.getByLabel('Why (goes to the audit log)').fill('lighter node1')
  await page.getByRole('button', { name: 'Save', exact: true }).click(NO_NAVIGATION)
  const conflict = page.locator('#editor-conflict')
  await expect.poll(() => conflict.isVisible(), { timeout: 30_000 }).toBe(true)
  expect(await page.locator('#conflict-current').innerText()).toContain(
    '# edited by hand during the preview',
  )
  expect(await page.locator('#conflict-mine').innerText()).toMatch(
    /-.*weight: 5[\s\S]*\+.*weight: 4/,
  )
  expect(await page.locator('#editor-errors').innerText()).toContain('changed on disk')
  expect(readFileSync(site.configFile, 'utf8')).toBe(byHand)
}, 120_000)

it("starts again from the disk by keyboard; the raw view shows the loader's error at its line", async () => {
  const again = page.getByRole('button', { name: 'Start again from the files on disk' })
  await again.focus()
  await page.keyboard.press('Enter')
  await expect
    .poll(() => page.locator(':focus').getAttribute('id'), { timeout: 30_000 })
    .toBe('editor-heading')
  expect(await page.locator('#editor-conflict').count()).toBe(1)
  expect(await page.locator('#editor-conflict').isHidden()).toBe(true)
  const raw = page.getByLabel('tandem.yaml', { exact: true })
  const text = await raw.inputValue()
  expect(text).toBe(readFileSync(site.configFile, 'utf8'))
  const broken = text.replace(
    '{ node: node1, port: 8080, weight: 5 }',
    '{ node: node1, port: 8080, weight: five }',
  )
  const line = broken.split('\n').findIndex((l) => l.includes('weight: five')) + 1
  await raw.fill(broken)
  await page.getByRole('button', { name: 'Preview raw change' }).click(NO_NAVIGATION)
  const errors = page.locator('[data-raw-file="tandem.yaml"]')
  const announced = page.locator('#editor-errors')
  await expect.poll(() => announced.innerText(), { timeout: 30_000 }).not.toBe('')
  expect(await errors.innerText(), await announced.innerText()).toContain(
    `line ${line} (services[0].real_servers[0].weight): `,
  )
  expect(await page.locator('#editor-preview').isHidden()).toBe(true)
}, 120_000)

it('adds a check through its schema form; a literal fence secret is refused at its field', async () => {
  await page.getByText('Fence devices (4)').click()
  const device = page.getByRole('form', { name: 'Add a fence device' })
  await device.getByLabel('name (required)').fill('ipmi-node9')
  await device.getByLabel('agent (required)').fill('fence_ipmilan')
  await device.getByLabel(/^options/).fill('ip=10.0.0.9\npassword=hunter2')
  await device.getByRole('button', { name: 'Preview addition' }).click(NO_NAVIGATION)
  const options = device.getByLabel(/^options/)
  await expect.poll(() => options.getAttribute('aria-invalid'), { timeout: 30_000 }).toBe('true')
  const refused = await page
    .locator(`#${await options.getAttribute('aria-describedby')}`)
    .innerText()
  expect(refused).toBe(
    '"password" is a secret: reference it as "env:NAME" or "file:/path", never inline',
  )
  expect(await page.locator('#editor-errors').innerText()).not.toContain('hunter2')

  await page.getByText('Checks of web (1)').click()
  const check = page.getByRole('form', { name: 'Add a check to web' })
  await check.getByLabel('name (required)').fill('tcp')
  await check.getByLabel('kind (required)').fill('tcp')
  await check.getByLabel(/^interval/).fill('5s')
  await check.getByLabel(/^fall/).fill('2')
  await check.getByRole('button', { name: 'Preview addition' }).click(NO_NAVIGATION)
  await previewed()
  expect(await page.locator('#preview-targets').innerText()).toContain('check added: web/node1/tcp')
  expect(await page.locator('#preview-policies').innerText()).toContain(
    'real-server-failed now matches check.failed web/node1/tcp',
  )
  await page.getByLabel('Why (goes to the audit log)').fill('a plain tcp check beside http')
  await page.getByRole('button', { name: 'Save', exact: true }).click(NO_NAVIGATION)
  await expect
    .poll(() => page.locator('#editor-status').innerText(), { timeout: 30_000 })
    .toContain('The daemon runs it now.')
  expect(readFileSync(site.configFile, 'utf8')).toMatch(
    /- name: tcp\n\s+kind: tcp\n\s+interval: 5s\n\s+fall: 2\n/,
  )
  expect(await page.locator('#c-services-web-checks summary').innerText()).toBe('Checks of web (2)')
}, 120_000)

it('SIGHUP after a hand edit: the daemon reloads, shows the change and probes the new check', async () => {
  const before = readFileSync(site.configFile, 'utf8')
  const line = before.split('\n').find((l) => /^\s*- \{ name: pg, kind: tcp\b/.test(l))
  if (!line) throw new Error('[e2e] tandem.yaml changed: update the pg check line here')
  const indent = line.slice(0, line.indexOf('-'))
  const edited = before
    .replace(
      line,
      `${line}\n${indent}- { name: pg2, kind: tcp, port: 5432, interval: 2s, timeout: 1s }`,
    )
    .replace(/(- node: node3\n\s+port: 8080\n\s+weight: )3\n/, '$16\n')
  expect(edited).toContain('weight: 6')
  writeFileSync(site.configFile, edited)
  process.kill(process.pid, 'SIGHUP')
  const weight = () =>
    page.evaluate(async (token) => {
      const res = await fetch('/api/v1/status', { headers: { Authorization: `Bearer ${token}` } })
      const status = (await res.json()) as {
        services: { name: string; realServers: { node: string; weight: number }[] }[]
      }
      return status.services
        .find((s) => s.name === 'web')
        ?.realServers.find((r) => r.node === 'node3')?.weight
    }, admin)
  await expect.poll(weight, { timeout: 30_000 }).toBe(6)
  await probedUp('db/node1/pg2')
}, 120_000)

it('shows a read token no editor, and its write routes answer 403', async () => {
  const viewer = await signIn(reader)
  await expect.poll(() => viewer.locator('#nodes .node').count(), { timeout: 30_000 }).toBe(5)
  expect(await viewer.getByRole('button', { name: 'Edit site' }).isVisible()).toBe(false)
  const statuses = await viewer.evaluate(async (token) => {
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
    const body = JSON.stringify({ version: '0'.repeat(32), changes: [] })
    return Promise.all([
      fetch('/ui/editor', { headers }).then((r) => r.status),
      fetch('/api/v1/config', { headers }).then((r) => r.status),
      fetch('/api/v1/config/preview', { method: 'POST', headers, body }).then((r) => r.status),
      fetch('/api/v1/config', { method: 'POST', headers, body }).then((r) => r.status),
    ])
  }, reader)
  expect(statuses).toEqual([403, 403, 403, 403])
  // The 400, 409 and 403 answers above are logged by Chromium as failed loads; nothing else.
  expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([])
}, 120_000)

/** Waits for the preview to answer; fails with what the page said when it is not a preview. */
async function previewed(): Promise<void> {
  const said = async () =>
    `${await page.locator('#editor-status').innerText()} | ${await page.locator('#editor-errors').innerText()}`
  await expect.poll(said, { timeout: 30_000 }).not.toMatch(/^(Checking…)? \| $/)
  expect(await said()).toMatch(/^Preview ready/)
}

async function signIn(token: string): Promise<Page> {
  const tab = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  tab.setDefaultTimeout(60_000)
  tab.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  await tab.goto(daemon.url)
  await tab.locator('#token').fill(token)
  await tab.locator('#login-form button').click()
  await tab.locator('#panels .node').first().waitFor()
  return tab
}

/** Waits until the daemon's probes call `target` up (its health row, as an operator reads it). */
async function probedUp(target: string): Promise<void> {
  await eventually(
    async () =>
      (await query(site, `SELECT state FROM health_states WHERE target = '${target}'`))[0]
        ?.state === 'up',
    30_000,
    `${target} probed up`,
  )
}

/** The director's IPVS table as the lab's ipvsadm prints it. */
async function ipvsTable(): Promise<string> {
  const { stdout } = await promisify(execFile)('ipvsadm', ['-Ln'], {
    env: { ...process.env, TANDEM_LAB_NODE: 'director' },
  })
  return stdout
}

/** The daemon's errors, shown when a case fails (a reload refused, a run that failed). */
const daemonErrors: string[] = []
function silentLog() {
  const noop = () => {}
  return {
    debug: noop,
    info: noop,
    warn: noop,
    error: (message: string, fields?: unknown) =>
      void daemonErrors.push(`${message} ${JSON.stringify(fields ?? {})}`),
  }
}
