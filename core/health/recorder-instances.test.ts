// Two instances on one store see the same failure: the store keeps one announcement per episode.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { TandemEvent } from '../events/index.ts'
import { Config, createInventory } from '../inventory/index.ts'
import { planTargets } from '../probe/index.ts'
import { openStore, type Store } from '../store/index.ts'
import { createHealthEngine } from './engine.ts'
import { createRecorder } from './recorder.ts'

const inventory = createInventory(
  Config.parse({
    monitor: { node_down_quorum: 1 },
    nodes: ['node1', 'node2', 'node3'].map((name, i) => ({
      name,
      address: `127.0.1.${i + 1}`,
      checks: [{ name: 'ssh', kind: 'tcp', port: 22, rise: 1, fall: 2 }],
    })),
  }),
)
const quiet = { debug() {}, info() {}, warn() {}, error() {} }
let dir: string | undefined
const stores: Store[] = []

afterEach(() => {
  for (const store of stores.splice(0)) store.client.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** One tandem instance's health side: its engine and recorder, on its own connection. */
async function instance(url: string) {
  const store = await openStore(url)
  stores.push(store)
  const engine = createHealthEngine({ inventory, targets: planTargets(inventory) })
  const delivered: TandemEvent[] = []
  const recorder = createRecorder(store, quiet, (batch) => delivered.push(...batch))
  let now = 1_000_000
  return {
    delivered,
    /** One round of results (node2 `ok` or not; the others ok), stored before it returns. */
    async probe(node2Ok: boolean) {
      now += 1_000
      const batch = ['node1', 'node2', 'node3'].map((node) => ({
        target: { id: `node/${node}/ssh` },
        result: {
          status: node !== 'node2' || node2Ok ? ('ok' as const) : ('critical' as const),
          latencyMs: 1,
          detail: '',
        },
        at: now,
      }))
      recorder.record(engine.observe(batch, now))
      await recorder.flush()
    },
  }
}

describe('several instances recording one failure', () => {
  it('stores one node.down per episode of node2, whichever instance saw it, and a new one after node.up', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-recorders-'))
    const url = `file:${join(dir, 'tandem.db')}`
    // Both instances probe node2 at once, as during a shard handover (the old owner has not
    // let go yet, the new one already took over).
    const a = await instance(url)
    const b = await instance(url)
    const both = async (ok: boolean) => {
      await a.probe(ok)
      await b.probe(ok)
    }
    await both(true)
    await both(false)
    await both(false)
    const stored = async () => {
      const rows = await stores[0]!.client.execute(
        "SELECT id, type FROM events WHERE subject = 'node2' ORDER BY id",
      )
      return rows.rows.map((r) => String(r.type))
    }
    // Both engines concluded node2 is down; the store holds the first announcement only, and
    // only its writer hands it on to the leader.
    expect(await stored()).toEqual(['node.down'])
    expect(a.delivered.filter((e) => e.subject === 'node2').map((e) => e.type)).toEqual([
      'node.down',
    ])
    expect(b.delivered.filter((e) => e.subject === 'node2')).toEqual([])

    // node2 comes back and fails again: a new episode, announced once more, once.
    await both(true)
    await both(false)
    await both(false)
    expect(await stored()).toEqual(['node.down', 'node.up', 'node.down'])
    const [first, , second] = (
      await stores[0]!.client.execute("SELECT id FROM events WHERE subject = 'node2' ORDER BY id")
    ).rows.map((r) => Number(r.id))
    expect(second).toBeGreaterThan(first!)
  })
})
