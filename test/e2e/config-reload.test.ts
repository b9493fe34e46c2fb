// Hot reload across real `tandem run` processes: SIGHUP after a hand edit, and a save through one
// daemon's API followed by every other daemon on the same store (no signal to it). Opt-in
// (TANDEM_RELOAD_E2E=1, `npm run test:reload`): it boots a lab and two daemons, which the suite's
// budget has no room for. On every run, site-editor.test.ts sends its daemon a SIGHUP and
// core/runtime/config-follow.test.ts covers the follow.
import { readFileSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApiToken } from '../../core/api/index.ts'
import { openStore } from '../../core/store/index.ts'
import {
  type DaemonProcess,
  eventually,
  type LabSite,
  query,
  serving,
  spawnDaemon,
  startLabSite,
} from './demo-lab.ts'

// Net 72 is this file's: node addresses 127.0.72.x, mail 25372, webhooks 28372.
const NET = 72
const NODE3_LINE = '\n      - { node: node3, port: 8080, weight: 3 }'

const OPT_IN = process.env.TANDEM_RELOAD_E2E === '1'

let site: LabSite
let text: string
const daemons: DaemonProcess[] = []

beforeAll(async () => {
  if (!OPT_IN) return
  // No policies: this file is about reloading, and a lab with none stays quiet under load.
  site = await startLabSite({
    net: NET,
    smtpPort: 25300 + NET,
    webhookPort: 28300 + NET,
    timing: 'quick',
    policyFiles: {},
  })
  text = readFileSync(site.configFile, 'utf8')
  if (!text.includes(NODE3_LINE)) throw new Error('[e2e] tandem.yaml changed: update NODE3_LINE')
  writeFileSync(site.configFile, text.replace(NODE3_LINE, ''))
}, 60_000)

afterAll(async () => {
  for (const d of daemons) d.child.kill('SIGTERM')
  await Promise.all(daemons.map((d) => d.exited))
  await site?.close()
})

it.runIf(OPT_IN)(
  'SIGHUP: a hand edit is read again, the new real server is shown and probed',
  async () => {
    daemons.push(spawnDaemon(site))
    const url = await serving(daemons[0]!)
    const token = await adminToken()
    expect(await weightOf(url, token, 'node3')).toBeUndefined()

    writeFileSync(site.configFile, text)
    daemons[0]!.child.kill('SIGHUP')
    expect(await eventually(() => weightOf(url, token, 'node3'), 30_000, 'node3 shown')).toBe(3)
    await eventually(
      async () =>
        (await query(site, "SELECT state FROM health_states WHERE target = 'web/node3/http'"))[0]
          ?.state === 'up',
      30_000,
      'web/node3/http probed',
    )
  },
  120_000,
)

it.runIf(OPT_IN)(
  'a save through one daemon is followed by the other daemons on the store',
  async () => {
    daemons.push(spawnDaemon(site))
    const [first, second] = await Promise.all(daemons.map(serving))
    const token = await adminToken()
    expect(await weightOf(second!, token, 'node3')).toBe(3)

    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
    const { version } = (await (await fetch(`${first}api/v1/config`, { headers })).json()) as {
      version: string
    }
    const changes = [
      {
        op: 'set',
        at: ['services', { name: 'web' }, 'real_servers', { node: 'node3' }, 'weight'],
        value: 7,
      },
    ]
    const preview = await fetch(`${first}api/v1/config/preview`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ version, changes }),
    })
    expect(preview.status).toBe(200)
    const saved = await fetch(`${first}api/v1/config`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        version,
        changes,
        preview: ((await preview.json()) as { preview: string }).preview,
        message: 'heavier node3',
      }),
    })
    expect(saved.status).toBe(200)
    expect(((await saved.json()) as { reload: { status: string } }).reload.status).toBe('reloaded')
    expect(await weightOf(first!, token, 'node3')).toBe(7)
    // The second daemon got no signal and served nothing: it follows the store's config revision.
    expect(
      await eventually(
        async () => (await weightOf(second!, token, 'node3')) === 7,
        30_000,
        'the second daemon to follow',
      ),
    ).toBe(true)
    expect(daemons[1]!.output()).toContain('saved through another instance')
  },
  120_000,
)

/** web/<node>'s configured weight as a daemon's status API shows it. */
async function weightOf(url: string, token: string, node: string): Promise<number | undefined> {
  const res = await fetch(`${url}api/v1/status`, { headers: { Authorization: `Bearer ${token}` } })
  const status = (await res.json()) as {
    services: { name: string; realServers: { node: string; weight: number }[] }[]
  }
  return status.services.find((s) => s.name === 'web')?.realServers.find((r) => r.node === node)
    ?.weight
}

let admin: string | undefined
async function adminToken(): Promise<string> {
  if (admin) return admin
  const store = await openStore(site.storeUrl)
  try {
    admin = (await createApiToken(store, { name: 'reloader', scopes: ['admin'] })).token
    return admin
  } finally {
    store.close()
  }
}
