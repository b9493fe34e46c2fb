// Issue 16: every `tandem exec` is its own run, read back from the world; "not run" never exits 0.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { main } from '../../core/cli/index.ts'
import { openStore } from '../../core/store/index.ts'
import { setHealth } from '../fixtures/act-lab.ts'
import { failNode, fenceOffs } from '../lab/demo-world.ts'
import { type LabSite, startLabSite } from './demo-lab.ts'

let site: LabSite
beforeAll(async () => {
  site = await startLabSite({ net: 44, smtpPort: 25344, webhookPort: 28344, timing: 'quick' })
  const store = await openStore(site.storeUrl)
  await setHealth(store, { quorate: true })
  store.close()
  expect((await tandem('exec', 'lvs.reconcile')).code).toBe(0)
})
afterAll(() => site?.close())

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
  const code = await main([...args, '--config', site.configFile, '--store', site.storeUrl], io)
  return { code, out, err }
}

/** node2's weight in the director's table, as the lab's ipvsadm prints it. */
async function weightOfNode2(): Promise<number> {
  const { stdout } = await promisify(execFile)('ipvsadm', ['-Ln'], {
    env: { ...process.env, TANDEM_LAB_NODE: 'director' },
  })
  const line = stdout.split('\n').find((l) => l.includes('-> 127.0.44.2:'))
  if (!line) throw new Error(`node2 is not in the table:\n${stdout}`)
  return Number(line.trim().split(/\s+/)[3])
}

it('exec lvs.drain then exec lvs.restore: two runs, and the weight is back', async () => {
  const weight = await weightOfNode2()
  expect(weight).toBeGreaterThan(0)
  const drained = await tandem('exec', 'lvs.drain', 'service=web', 'node=node2')
  expect(drained.code, drained.out + drained.err).toBe(0)
  expect(await weightOfNode2()).toBe(0)
  // It used to print "skipped … already succeeded in this incident" and exit 0 at weight 0.
  const restored = await tandem('exec', 'lvs.restore', 'service=web', 'node=node2')
  expect(restored.code, restored.out + restored.err).toBe(0)
  expect(restored.out).toMatch(/^succeeded +lvs\.restore/m)
  expect(await weightOfNode2()).toBe(weight)
  // Two runs in two incidents, each closed with its run.
  const runIds = [drained.out, restored.out].map((o) => /run (\S+) in incident (\S+)/.exec(o))
  expect(new Set(runIds.map((m) => m?.[1])).size).toBe(2)
  expect(new Set(runIds.map((m) => m?.[2])).size).toBe(2)
  const list = await tandem('journal')
  expect(list.out.match(/ closed +inc-\S+ +manual:lvs\/web\/node2/g)).toHaveLength(2)
})

it('"not run" outcomes never exit 0: already fenced in this episode is 4, refused is 3', async () => {
  failNode('node2')
  const store = await openStore(site.storeUrl)
  await setHealth(store, { quorate: true, nodes: { node2: 'down' } })
  store.close()
  const fenced = await tandem('exec', 'fence.fence', 'node=node2')
  expect(fenced.code, fenced.out + fenced.err).toBe(0)
  expect(fenceOffs('node2')).toHaveLength(1)
  // Fenced in this failure episode already: nothing runs, and it says so (exit 4).
  const again = await tandem('exec', 'fence.fence', 'node=node2')
  expect(again.code, again.out).toBe(4)
  expect(again.out).toMatch(/^skipped +fence\.fence \[in_effect\]: already in effect: node2 is/m)
  expect(again.out).toMatch(/: in_effect\n$/)
  expect(fenceOffs('node2')).toHaveLength(1)
  // Refused by a guard (quorum unknown → no destructive action): 3.
  const inquorate = await openStore(site.storeUrl)
  await setHealth(inquorate, { quorate: false, nodes: { node2: 'down' } })
  inquorate.close()
  const refused = await tandem('exec', 'fence.fence', 'node=node3')
  expect(refused.code, refused.out).toBe(3)
  expect(refused.out).toMatch(/\[quorum\]/)
})
