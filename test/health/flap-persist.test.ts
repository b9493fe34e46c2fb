// Flap detection survives what memory does not: a daemon restart, and serverless ticks in fresh state.
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Monitoring, startMonitoring } from '../../core/health/index.ts'
import { Config, createInventory } from '../../core/inventory/index.ts'
import { quietLog } from '../../core/probe/test-support.ts'
import { createInstance, type Instance, loadSite } from '../../core/runtime/index.ts'
import serverless from '../../core/runtime/serverless.ts'
import { openStore } from '../../core/store/index.ts'

const CHECK = 'node/node1/svc'

/** A loopback TCP target that is up (listening) or down (connections refused) on one port. */
class Target {
  private server: Server | undefined
  port = 0
  async up(): Promise<void> {
    if (this.server) return
    this.server = createServer((socket) => socket.destroy())
    this.server.listen(this.port, '127.0.0.1')
    await once(this.server, 'listening')
    this.port = (this.server.address() as { port: number }).port
  }
  async down(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server) await new Promise((done) => server.close(done))
  }
}

let dir: string
const target = new Target()
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-flap-'))
  await target.up()
})
afterAll(async () => {
  await target.down()
  rmSync(dir, { recursive: true, force: true })
})

/** A one-node site whose check changes state on every raw change (rise = fall = 1). */
function writeSite(name: string, interval: string): { configFile: string; storeUrl: string } {
  const configFile = join(dir, `${name}.yaml`)
  const storeUrl = `file:${join(dir, `${name}.db`)}`
  const check = { name: 'svc', kind: 'tcp', port: target.port, interval, timeout: '1s' }
  const config = {
    daemon: { store: storeUrl },
    monitor: { node_down_quorum: 1, flap: { window: 20, high: 30, low: 15 } },
    nodes: [{ name: 'node1', address: '127.0.0.1', checks: [{ ...check, rise: 1, fall: 1 }] }],
  }
  writeFileSync(configFile, JSON.stringify(config))
  return { configFile, storeUrl }
}

async function storedEvents(storeUrl: string, afterId = 0): Promise<string[]> {
  const store = await openStore(storeUrl)
  try {
    const { rows } = await store.client.execute({
      sql: "SELECT type FROM events WHERE subject = ? AND id > ? AND type NOT LIKE 'node.%' ORDER BY id",
      args: [CHECK, afterId],
    })
    return rows.map((row) => String(row.type))
  } finally {
    store.close()
  }
}

/** Flips the target and waits until `monitoring` has probed the new state. */
async function flipFor(monitoring: Monitoring, up: boolean): Promise<void> {
  const since = Date.now()
  await (up ? target.up() : target.down())
  const deadline = since + 5_000
  for (;;) {
    const last = monitoring.snapshot().checks.find((c) => c.id === CHECK)?.last
    if (last && last.at > since && (last.status === 'ok') === up) return
    if (Date.now() > deadline) throw new Error(`no ${up ? 'passing' : 'failing'} result in 5 s`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('across a daemon restart', () => {
  const policiesDir = () => mkdtempSync(join(dir, 'policies-'))
  const start = (site: ReturnType<typeof writeSite>, id: string) =>
    createInstance({
      ...site,
      policiesDir: policiesDir(),
      instanceId: id,
      probe: true,
      log: quietLog,
    })

  const flip = (instance: Instance, up: boolean) => flipFor(instance.monitoring!, up)

  it('keeps the flap history: a restarted daemon goes on counting, stays flapping, no burst of down/up', async () => {
    const site = writeSite('daemon', '150ms')
    let daemon = await start(site, 'first')
    await flip(daemon, true)
    // Four changes before the restart: failed, recovered, failed, recovered (not yet flapping).
    for (const up of [false, true, false, true]) await flip(daemon, up)
    expect(daemon.monitoring!.snapshot().checks[0]).toMatchObject({ flapping: false })
    await daemon.close()
    expect(await storedEvents(site.storeUrl)).toEqual([
      'check.failed',
      'check.recovered',
      'check.failed',
      'check.recovered',
    ])

    // A new process on the same file: the history goes on, so two more changes make it flap
    // (a fresh history would need five or six, each announced as check.failed/recovered).
    daemon = await start(site, 'second')
    await flip(daemon, false)
    await flip(daemon, true)
    await daemon.monitoring!.flush()
    const after = (await storedEvents(site.storeUrl)).slice(4)
    expect(after.length).toBeLessThanOrEqual(2)
    expect(after.at(-1)).toBe('flapping.start')
    for (const up of [false, true, false]) await flip(daemon, up)
    await daemon.close()

    // Restarted while flapping (and still down): it stays flapping and says nothing more.
    daemon = await start(site, 'third')
    for (const up of [true, false, true]) await flip(daemon, up)
    expect(daemon.monitoring!.snapshot().checks[0]).toMatchObject({ flapping: true })
    await daemon.close()
    expect((await storedEvents(site.storeUrl)).slice(4 + after.length)).toEqual([])
  }, 30_000)

  it('a node group moving to another instance takes its flap history along', async () => {
    const site = writeSite('shards', '150ms')
    const loaded = await loadSite(site.configFile)
    const store = await openStore(site.storeUrl)
    const both = { inventory: loaded.inventory, store, log: quietLog }
    const a = await startMonitoring({ ...both, owns: () => true })
    const b = await startMonitoring({ ...both, owns: () => false })
    for (const up of [true, false, true, false, true]) await flipFor(a, up)
    await a.flush()
    expect(await storedEvents(site.storeUrl)).toHaveLength(4) // failed, recovered, ×2
    // The group moves (a heartbeat saw the live set change): a lets go, b takes it over and
    // goes on counting the changes a saw: two more make it flap.
    await a.reshard(() => false)
    await b.reshard(() => true)
    for (const up of [false, true]) await flipFor(b, up)
    await b.flush()
    const moved = (await storedEvents(site.storeUrl)).slice(4)
    expect(moved.length).toBeLessThanOrEqual(2)
    expect(moved.at(-1)).toBe('flapping.start')
    for (const up of [false, true, false]) await flipFor(b, up)
    expect(b.snapshot().checks[0]).toMatchObject({ flapping: true })
    await Promise.all([a.stop(), b.stop()])
    expect((await storedEvents(site.storeUrl)).slice(4 + moved.length)).toEqual([])
    store.close()
  })

  it('a healthy steady fleet writes nothing, interval after interval', async () => {
    const checks = Array.from({ length: 50 }, (_, i) => ({
      name: `c${i}`,
      kind: 'tcp',
      port: target.port,
      interval: '100ms',
      timeout: '1s',
    }))
    const inventory = createInventory(
      Config.parse({ nodes: [{ name: 'node1', address: '127.0.0.1', checks }] }),
    )
    await target.up()
    const store = await openStore(`file:${join(dir, 'steady.db')}`)
    const monitoring = await startMonitoring({ inventory, store, log: quietLog })
    const writes = async () =>
      Number((await store.client.execute('SELECT total_changes() AS n')).rows[0]!.n)
    const deadline = Date.now() + 5_000
    while (!monitoring.snapshot().checks.every((c) => c.state === 'up' && c.stateType === 'hard'))
      if (Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      else throw new Error('the fleet did not come up')
    await monitoring.flush()
    const before = await writes()
    const completed = monitoring.stats().completed
    await new Promise((r) => setTimeout(r, 1_000)) // ten intervals
    await monitoring.flush()
    expect(monitoring.stats().completed - completed).toBeGreaterThan(200)
    expect((await writes()) - before).toBe(0)
    await monitoring.stop()
    store.close()
  })
})

describe('serverless ticks', () => {
  const env = ['TANDEM_CONFIG', 'TANDEM_STORE_URL', 'TANDEM_POLICIES', 'TANDEM_LOG_LEVEL'] as const
  const saved = Object.fromEntries(env.map((key) => [key, process.env[key]]))
  afterAll(() => {
    for (const key of env)
      if (saved[key] === undefined) delete process.env[key]
      else process.env[key] = saved[key]
  })

  it('detect flapping from the stored history and hold the events, each call in fresh state', async () => {
    const site = writeSite('serverless', '10s')
    Object.assign(process.env, {
      TANDEM_CONFIG: site.configFile,
      TANDEM_STORE_URL: site.storeUrl,
      TANDEM_POLICIES: mkdtempSync(join(dir, 'policies-')),
      TANDEM_LOG_LEVEL: 'warn',
    })
    const pattern = [true, true, false, true, false, true, false, true, false, true, false, true]
    for (const up of pattern) {
      await (up ? target.up() : target.down())
      expect((await serverless.scheduled()).probed).toBe(1)
    }
    const types = await storedEvents(site.storeUrl)
    const start = types.indexOf('flapping.start')
    expect(start).toBeGreaterThan(0)
    // Until it flaps every change is announced; from then on nothing is.
    expect(
      types.slice(0, start).every((t) => t === 'check.failed' || t === 'check.recovered'),
    ).toBe(true)
    expect(types.slice(start)).toEqual(['flapping.start'])
    expect(start).toBeLessThan(pattern.length - 3)

    // One more call in a fresh process (nothing in memory but the database file). The stored
    // history: the first result filled the window, then one character per call.
    await target.down()
    const run = promisify(execFile)
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', resolve('test/fixtures/serverless-tick.ts')],
      { env: process.env, timeout: 30_000 },
    )
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ probed: 1, events: 0 })
    expect(await storedEvents(site.storeUrl)).toEqual(types)
    const store = await openStore(site.storeUrl)
    const { rows } = await store.client.execute({
      sql: 'SELECT flapping, flap_history FROM health_states WHERE target = ?',
      args: [CHECK],
    })
    store.close()
    expect(rows[0]).toMatchObject({ flapping: 1, flap_history: '11111111101010101010' })
  }, 30_000)
})
