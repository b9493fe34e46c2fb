// `npm run bench:fence`: fencing latency through the lab agents (one JSON line, medians in ms).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import fence from '../../plugins/fence/index.ts'
import { agentInfo } from '../../plugins/fence/metadata.ts'
import { LAB_BIN, labContext } from '../lab/plugin-context.ts'

const RUNS = 7

function lab(failFirst: boolean) {
  const bmc = (ip: string) => ({ ip, username: 'admin', password: 'env:PW' })
  return labContext(fence, {
    inventory: {
      nodes: [{ name: 'node2', address: '127.0.1.2' }],
      fencing: {
        devices: [
          { name: 'a', agent: 'fence_lab', options: bmc('10.0.0.1') },
          { name: 'b', agent: 'fence_lab', options: bmc('10.0.0.2') },
        ],
        nodes: [{ node: 'node2', levels: [['a'], ['b']] }],
      },
    },
    config: { agents_dir: LAB_BIN },
    env: { PW: 'pw' },
    world: {
      nodes: { node2: { up: true, power: 'on' } },
      fence: { devices: failFirst ? { '10.0.0.1': { behaviour: 'fail' } } : {} },
    },
  })
}

async function median(work: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    await work()
    times.push(performance.now() - started)
  }
  return Math.round(times.sort((a, b) => a - b)[RUNS >> 1] as number)
}

const fenceAction = fence.actions!.fence!
const spawnMs = await median(async () => {
  const ctx = lab(false)
  spawnSync(join(LAB_BIN, 'fence_lab'), {
    input: 'action=status\nip=10.0.0.1\nusername=admin\npassword=pw\nplug=node2\n',
    env: { TANDEM_LAB_WORLD: ctx.worldFile },
  })
})
const level1Ms = await median(() => fenceAction.run({ node: 'node2' }, lab(false)))
const level2Ms = await median(() => fenceAction.run({ node: 'node2' }, lab(true)))
const ctx = lab(false)
await agentInfo(ctx, 'fence_lab')
const started = performance.now()
for (let i = 0; i < 10_000; i++) await agentInfo(ctx, 'fence_lab')
const cachedUs = Math.round(((performance.now() - started) * 1000) / 10_000)
console.log(
  JSON.stringify({
    bench: 'fence',
    agent_run_ms: spawnMs,
    fence_level1_ms: level1Ms,
    fence_level2_after_failure_ms: level2Ms,
    metadata_cached_us: cachedUs,
    runs: RUNS,
  }),
)
