// Issue 16: `tandem exec pacemaker.move` then `pacemaker.clear` against real Pacemaker, read back from the CIB.
import { execFile, execFileSync } from 'node:child_process'
import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, expect, it } from 'vitest'
import { main } from '../../core/cli/index.ts'
import { openStore } from '../../core/store/index.ts'
import { tempDir } from '../cluster/support.ts'
import { setHealth } from '../fixtures/act-lab.ts'

const FIXTURE = new URL('../fixtures/pacemaker-cib.xml', import.meta.url)
const TOOLS = ['crm_resource', 'crm_simulate', 'cibadmin']
const missing = TOOLS.filter((tool) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' })
    return false
  } catch {
    return true
  }
})

const dir = tempDir('exec-pcmk')
const cib = join(dir, 'cib.xml')
const config = join(dir, 'tandem.yaml')
const store = `file:${join(dir, 'tandem.db')}`

beforeAll(async () => {
  if (missing.length) return
  copyFileSync(FIXTURE, cib)
  execFileSync('crm_simulate', ['-x', cib, '-S', '-O', cib], { stdio: 'ignore' })
  writeFileSync(
    config,
    `version: 1
cluster: { name: demo, manager: pacemaker }
nodes:
  - { name: node1, address: 127.0.1.1 }
  - { name: node2, address: 127.0.1.2 }
  - { name: node3, address: 127.0.1.3 }
services:
  - { name: www, cluster: { pacemaker: { resource: web } } }
plugins:
  pacemaker: { env: { CIB_file: ${JSON.stringify(cib)} }, settle_timeout: 10s, settle_interval: 200ms }
`,
  )
  await quorate(true)
})

it.skipIf(missing.length > 0)(
  'exec move then exec clear: the cli-prefer constraint is in the CIB, then gone; refusals exit 3',
  async () => {
    const from = /running on: (\S+)/.exec(crm('crm_resource', '--locate', '-r', 'web'))?.[1]
    const to = ['node1', 'node2', 'node3'].find((node) => node !== from)!
    expect(preferences()).toEqual([])

    // An offline CIB has no controller to carry the move out: crm_simulate plays it.
    const controller = simulateController()
    const moved = await tandem('exec', 'pacemaker.move', 'resource=web', `node=${to}`).finally(
      controller.stop,
    )
    expect(moved.code, moved.out + moved.err).toBe(0)
    expect(moved.out).toMatch(/^succeeded +pacemaker\.move/m)
    expect(preferences()).toEqual([`cli-prefer-web:${to}`])
    expect(crm('crm_resource', '--locate', '-r', 'web')).toBe(`resource web is running on: ${to}\n`)

    const cleared = await tandem('exec', 'pacemaker.clear', 'resource=web')
    expect(cleared.code, cleared.out + cleared.err).toBe(0)
    expect(cleared.out).toMatch(/^succeeded +pacemaker\.clear/m)
    expect(preferences()).toEqual([])

    // Refused by a guard (the cluster is inquorate): exit 3, and the CIB is untouched.
    await quorate(false)
    const refused = await tandem('exec', 'pacemaker.move', 'resource=web', `node=${to}`)
    expect(refused.code, refused.out).toBe(3)
    expect(refused.out).toMatch(/\[quorum\]/)
    expect(preferences()).toEqual([])
    await quorate(true)
  },
)

/**
 * Stands in for Pacemaker's controller: once a new move/ban constraint is in the CIB, runs the
 * scheduler's transition on it (crm_simulate), as a live cluster would.
 */
function simulateController() {
  let applied = preferences().join()
  let busy = false
  const timer = setInterval(async () => {
    const now = preferences().join()
    if (busy || now === applied) return
    busy = true
    await promisify(execFile)('crm_simulate', ['-x', cib, '-S', '-O', cib]).catch(() => {})
    applied = now
    busy = false
  }, 100)
  return { stop: () => clearInterval(timer) }
}

/** The `cli-prefer-*` location constraints in the CIB file, as `id:node`, read by cibadmin. */
function preferences(): string[] {
  const xml = crm('cibadmin', '--query', '--scope', 'constraints')
  return [...xml.matchAll(/<rsc_location id="(cli-prefer-[^"]+)"[^>]*node="([^"]+)"/g)].map(
    (m) => `${m[1]}:${m[2]}`,
  )
}

function crm(tool: string, ...args: string[]): string {
  return execFileSync(tool, args, { env: { ...process.env, CIB_file: cib } }).toString()
}

async function quorate(yes: boolean) {
  const opened = await openStore(store)
  await setHealth(opened, { quorate: yes })
  opened.close()
}

async function tandem(...args: string[]) {
  let out = ''
  let err = ''
  const io = {
    out: (t: string) => {
      out += t
    },
    err: (t: string) => {
      err += t
    },
  }
  const code = await main([...args, '--config', config, '--store', store], io)
  return { code, out, err }
}
