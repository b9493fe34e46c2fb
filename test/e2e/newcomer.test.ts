// A newcomer's first hour, scripted: `npm start` in a copy of the project, node2 fails, and what a person sees is checked.
// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright innerText is the text a person sees, not a DOM property
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest'
import { eventually } from './demo-lab.ts'

const run = promisify(execFile)
// Net 67 is this file's: node addresses 127.0.67.x, mail 25367, webhooks 28367, the API 25368.
const NET = 67
const SMTP = 25367
const HOOKS = 28367
const API = 25368
/** The README's `for: 20s`, shortened: the wait is shown and timed, not lived through in CI. */
const FOR = '5s'

let dir: string
let demo: ChildProcess
let printed = ''
let browser: Browser
let page: Page
const consoleErrors: string[] = []
const failedLoads: string[] = []

beforeAll(async () => {
  dir = projectCopy()
  // Exactly the README's command, in the copy; its own process group so it can be stopped whole.
  demo = spawn('npm', ['start'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  demo.stdout!.on('data', (chunk) => {
    printed += String(chunk)
  })
  demo.stderr!.on('data', (chunk) => {
    printed += String(chunk)
  })
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  })
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  // Two shared cores under several labs: a page may take long to answer, not to be right.
  page.setDefaultTimeout(30_000)
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  page.on('response', (r) => {
    if (r.status() >= 400) failedLoads.push(`${r.status()} ${r.url()}`)
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  if (demo?.pid) {
    try {
      process.kill(-demo.pid, 'SIGTERM')
    } catch {}
    await new Promise((done) => (demo.exitCode === null ? demo.once('exit', done) : done(null)))
  }
  if (dir) rmSync(dir, { recursive: true, force: true })
})

it('npm start, fail node2, watch it repaired, read the story, recover node2', async () => {
  // What the daemon logged is the only record once the copy is gone: show it with the failure.
  onTestFailed(() => {
    console.error(
      `[e2e] newcomer: the demo's output (last 200 lines):\n${printed.split('\n').slice(-200).join('\n')}`,
    )
  })
  const started = Date.now()
  const banner = await eventually(
    async () => /dashboard:\s+(\S+)\s+\(token: (\S+)\)/.exec(printed) ?? undefined,
    90_000,
    `the demo's banner; it printed:\n${printed}`,
  )
  const [, url, token] = banner
  expect(url).toBe(`http://127.0.0.1:${API}/`)

  // The dashboard as a person opens it: paste the token, see five nodes settle.
  const answer = await page.goto(url!, { timeout: 60_000 })
  expect(answer?.status(), await page.content()).toBe(200)
  await page
    .locator('#token')
    .fill(token!, { timeout: 60_000 })
    .catch(async (error) => {
      throw new Error(
        `${error}\n${consoleErrors.join('\n')}\n${(await page.content()).slice(0, 3000)}`,
      )
    })
  await page.locator('#login-form button').click()
  await expect.poll(() => page.locator('#nodes .node').count(), { timeout: 15_000 }).toBe(5)
  await expect
    .poll(() => page.locator('[data-node=node2] .badge').first().innerText(), { timeout: 30_000 })
    .toBe('up')
  // Nodes nothing can judge say why, instead of "waiting" forever.
  expect(await page.locator('[data-node=storage1]').innerText()).toContain('no checks of its own')
  expect(await page.locator('[data-node=director]').innerText()).toContain('no verdict')
  // db is placed by the cluster, not balanced by LVS: no weights, no forwarding method.
  const dbHead = await page.locator('[data-service=db] thead').innerText()
  expect(dbHead).not.toMatch(/weight/)
  expect(await page.locator('[data-real-server="db/node1"]').innerText()).not.toMatch(/masq|route/)
  expect(await page.locator('[data-service=web] thead').innerText()).toMatch(/weight/)
  // Live connection counts next to the weights, read from the director as `ipvsadm -L` shows them.
  const conns = page.locator('[data-conns="web/node1"]')
  await expect
    .poll(async () => `${await conns.innerText()} (${await conns.getAttribute('title')})`, {
      timeout: 60_000,
    })
    .toMatch(/^\d+ \/ \d+ \(active/)

  const failedAt = Date.now()
  await tandem('lab', 'fail', 'node2')
  const journal = await eventually(
    async () => {
      const out = await tandem('journal', 'node.down:node2').catch(() => '')
      return /node-down-failover\s+(succeeded|failed|aborted|blocked)/.test(out) ? out : undefined
    },
    90_000,
    'the failover run in `tandem journal`',
  )
  const repairedAt = Date.now()
  expect(journal).toMatch(/node-down-failover\s+succeeded/)
  for (const action of ['fence.fence', 'lvs.drain', 'rgmanager.relocate', 'xen.restart_elsewhere'])
    expect(journal).toMatch(new RegExp(`succeeded\\s+${action.replace('.', '\\.')}`))
  expect(await tandem('journal')).toMatch(/open\s+inc-\S+\s+node\.down:node2\s+\(1 run\)/)

  // The dashboard tells the story: node2 down in the banner, the incident drawn as a picture.
  await expect.poll(() => page.locator('#banner').innerText(), { timeout: 15_000 }).toMatch(/node2/)
  // node2's own incident: it opened when the policy began to wait, before the incidents of
  // node2's checks that other policies handle (they list above it, newest first).
  await page.locator('.incident-row', { hasText: 'node.down node2' }).first().click()
  const picture = page.locator('#incident svg.incident-picture')
  await picture.waitFor({ timeout: 15_000 })
  expect(await picture.locator('[data-lane=event]').count()).toBe(1)
  expect(await picture.locator('[data-lane=wait]').count()).toBe(1)
  expect(await picture.locator('[data-lane=step]').count()).toBeGreaterThanOrEqual(4)
  expect(await picture.locator('[data-lane=verify]').count()).toBe(1)
  const lanes = (await picture.textContent()) ?? ''
  expect(lanes).toMatch(/node-down-failover waits \(for:\) \d/)
  expect(lanes).toMatch(/fence the dead node · [\d.]+ s · succeeded/)

  // The inbox: one story, by mail, subjects alone enough to follow it.
  const story = [
    /^\[tandem\] PENDING: node node2 is down: in \d+ s unless it recovers, tandem will fence a dead cluster node, then move its traffic, services and guests to survivors$/,
    /^\[tandem\] HANDLING: node node2 is down: tandem is handling it \(policy node-down-failover\)$/,
    /^\[tandem\] SUCCEEDED: node node2 is down: policy node-down-failover succeeded$/,
  ]
  await eventually(
    async () => (mails().filter((s) => /node2/.test(s)).length >= 3 ? true : undefined),
    // The demo's mail catcher shares the daemon's process: on a loaded machine a send can time
    // out and wait for its retry (about 30 s) before a person's inbox has the story.
    90_000,
    'three mails about node2',
  )
  expectStory(mails(), story)

  // node2 comes back: the incident resolves, and the story ends with one "resolved".
  await tandem('lab', 'recover', 'node2')
  await eventually(
    async () =>
      /\bresolved\b/.test(await tandem('journal', 'node.down:node2')) ? true : undefined,
    60_000,
    'the incident resolved',
  )
  await eventually(
    async () => (mails().some((s) => /RESOLVED: node node2/.test(s)) ? true : undefined),
    30_000,
    'the resolved mail',
  )
  expectStory(mails(), [...story, /^\[tandem\] RESOLVED: node node2 is down: .*resolved$/])
  const hooks = inbox().filter((m) => m.channel === 'webhook' && /node2/.test(m.subject))
  expect(hooks.map((m) => m.subject)).toEqual(mails().filter((s) => /node2/.test(s)))

  expect(consoleErrors).toEqual([])
  expect(failedLoads).toEqual([])
  console.log(
    `[e2e] newcomer: demo up in ${((failedAt - started) / 1000).toFixed(1)} s, node2 repaired in ${((repairedAt - failedAt) / 1000).toFixed(1)} s; mail subjects:\n${mails().join('\n')}`,
  )
}, 420_000)

/** `npx tandem ARGS` in the copy (what the README tells a person to type next to `npm start`). */
async function tandem(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['bin/tandem.js', ...args], {
    cwd: dir,
    // `lab` runs the TypeScript lab through tsx: a full CI suite at load 25 took over a minute.
    timeout: 120_000,
  })
  return stdout
}

interface Message {
  channel: string
  subject: string
  thread?: { messageId: string }
}

function inbox(): Message[] {
  let text = ''
  try {
    text = readFileSync(join(dir, 'data/lab-inbox.jsonl'), 'utf8')
  } catch {}
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Message & { duplicate?: boolean })
    .filter((m) => !m.duplicate)
}

/**
 * The mails as a mail client lists them: one per Message-ID (a notice keeps its id when it is
 * sent again after an SMTP answer was lost on a loaded machine, so a client shows it once).
 */
function mails(): string[] {
  const seen = new Set<string>()
  return inbox()
    .filter((m) => m.channel === 'email')
    .filter((m) => {
      const id = m.thread?.messageId
      if (!id) return true
      if (seen.has(id)) return false
      seen.add(id)
      return true
    })
    .map((m) => m.subject)
}

/** Every mail about node2, in order, is the next line of the story; nothing else was mailed. */
function expectStory(subjects: string[], story: RegExp[]) {
  const about = subjects.filter((s) => /node2/.test(s))
  expect(about, subjects.join('\n')).toHaveLength(story.length)
  for (const [i, subject] of about.entries()) expect(subject).toMatch(story[i]!)
  expect(
    subjects.filter((s) => !/node2/.test(s)),
    'mails about anything else',
  ).toEqual([])
}

/**
 * The project as a newcomer has it, on this file's net: code linked, tandem.yaml and policies/
 * copied with their addresses, ports and `for:` moved, an empty data directory.
 */
function projectCopy(): string {
  const root = resolve('.')
  const target = mkdtempSync(join(tmpdir(), 'tandem-newcomer-'))
  // Sources are copied, not linked: tsx applies tsconfig.json (JSX through hono/jsx) only to
  // files under it, and a link resolves to the checkout's path.
  for (const name of ['bin', 'core', 'plugins', 'test', 'package.json', 'tsconfig.json'])
    cpSync(join(root, name), join(target, name), { recursive: true })
  symlinkSync(join(root, 'node_modules'), join(target, 'node_modules'))
  const yaml = readFileSync(join(root, 'tandem.yaml'), 'utf8')
    .replaceAll('127.0.1.', `127.0.${NET}.`)
    .replace('port: 2525', `port: ${SMTP}`)
    .replace('127.0.0.1:8089', `127.0.0.1:${HOOKS}`)
    .replace('listen: 127.0.0.1:8080', `listen: 127.0.0.1:${API}`)
  writeFileSync(join(target, 'tandem.yaml'), yaml)
  cpSync(join(root, 'policies'), join(target, 'policies'), { recursive: true })
  const policy = join(target, 'policies/node-down-failover.yaml')
  const text = readFileSync(policy, 'utf8')
  if (!text.includes('for: 20s'))
    throw new Error('[e2e] node-down-failover has no `for: 20s` any more')
  writeFileSync(
    policy,
    text.replace('for: 20s', `for: ${FOR}`).replace('backoff: 10s', 'backoff: 1s'),
  )
  return target
}
