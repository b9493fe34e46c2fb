// bench:act — from a node.down event to the first plugin command spawned, journal on a file DB.
// Until the policy engine lands, 1,000 synthetic plans stand in for 1,000 loaded policies and
// `planFor` is a plain lookup: replace it with the policy engine's matcher + planner to measure
// the whole path. Prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createExecutor, fixedClusterView } from '../../core/act/index.ts'
import type { TandemEvent } from '../../core/health/index.ts'
import { Config, createInventory, createSecretResolver } from '../../core/inventory/index.ts'
import { createLogger } from '../../core/log.ts'
import { createRegistry, defineAction, definePlugin, z } from '../../core/plugin/index.ts'
import type { Plan } from '../../core/policy/index.ts'
import { healthStates, openStore } from '../../core/store/index.ts'

const POLICIES = 1_000
const NODES = 200
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)

const NodeInput = z.object({ node: z.string() })
const bench = definePlugin({
  name: 'bench',
  description: 'a fence-like action that spawns /bin/true',
  config: z.object({}),
  actions: {
    fence: defineAction<typeof NodeInput>({
      description: 'spawn /bin/true',
      input: NodeInput,
      idempotent: false,
      destructive: true,
      fences: (input) => input.node,
      target: (input) => `node/${input.node}`,
      describe: () => [{ argv: ['/bin/true'] }],
      run: async (_input, ctx) => {
        await ctx.runner.run({ argv: ['/bin/true'] })
        return { summary: 'ok' }
      },
      verify: async () => ({ ok: true, detail: 'off' }),
    }),
  },
})

const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-act-'))
const store = await openStore(`file:${join(dir, 'tandem.db')}`)
if (process.env.BENCH_SYNC)
  await store.client.execute(`PRAGMA synchronous=${process.env.BENCH_SYNC}`)
const nodes = Array.from({ length: NODES }, (_, i) => `node${i}`)
const inventory = createInventory(
  Config.parse({
    cluster: { name: 'bench', manager: 'rgmanager' },
    nodes: nodes.map((name) => ({ name, address: '127.0.0.1' })),
  }),
)
const now = Date.now()
await store.db
  .insert(healthStates)
  .values([
    { target: 'cluster', kind: 'cluster', state: 'up', since: now, updatedAt: now },
    ...nodes.map((n) => ({ target: n, kind: 'node', state: 'up', since: now, updatedAt: now })),
  ])

// 1,000 policies: each node.down selector maps to its plan (the stand-in for the policy engine).
const plans = new Map<string, Plan>()
for (let i = 0; i < POLICIES; i++) {
  const node = nodes[i % NODES] as string
  const key = `node.down/${node}/${Math.floor(i / NODES)}`
  plans.set(key, {
    policy: `policy-${i}`,
    file: `policies/p${i}.yaml`,
    event: { type: 'node.down', subject: node, at: now, labels: { node }, payload: {} },
    incidentKey: `node.down:${node}`,
    steps: [
      {
        id: '1',
        name: 'fence',
        uses: 'bench.fence',
        input: { node },
        commands: [{ argv: ['/bin/true'] }],
        timeoutMs: 10_000,
        retry: { count: 0, backoffMs: 0 },
        verify: true,
        onFailure: 'abort',
      },
    ],
    guards: {
      requireQuorum: true,
      maintenanceAware: true,
      approval: 'none',
      cooldownMs: 60_000,
      maxRuns: { count: 5, windowMs: 600_000 },
    },
    notify: { channels: [], on: [] },
    dryRun: false,
  })
}
const planFor = (event: TandemEvent, round: number): Plan => {
  const plan = plans.get(`${event.type}/${event.subject}/${round % (POLICIES / NODES)}`) as Plan
  return { ...plan, event, incidentKey: `${plan.incidentKey}:${round}` }
}

let spawnedAt = 0
const secrets = createSecretResolver()
const log = createLogger({
  level: 'debug',
  destination: {
    write(line: string) {
      if (!spawnedAt && line.includes('[runner] spawned')) spawnedAt = performance.now()
      return true
    },
  } as unknown as NodeJS.WritableStream,
})
const executor = createExecutor({
  store,
  registry: createRegistry([bench]),
  inventory,
  secrets,
  log,
  notices: { escalate: async () => {}, runUpdate: async () => {} },
  clusterView: fixedClusterView({ quorate: true, members: nodes, source: 'bench' }),
})

const samples: number[] = []
for (let round = 0; round < ITERATIONS + 20; round++) {
  const node = nodes[round % NODES] as string
  spawnedAt = 0
  const start = performance.now()
  const event: TandemEvent = {
    type: 'node.down',
    subject: node,
    at: Date.now(),
    labels: { node },
    payload: {},
  }
  await executor.execute(planFor(event, round))
  if (!spawnedAt) throw new Error(`round ${round}: nothing was spawned`)
  if (round >= 20) samples.push(spawnedAt - start) // the first rounds warm up the JIT and the file
}
samples.sort((a, b) => a - b)
const pct = (p: number) =>
  Math.round((samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? 0) * 100) /
  100
console.log(
  JSON.stringify({
    bench: 'act',
    measures:
      'ready plan → first spawn (policy engine not yet wired: planFor is a lookup over 1,000 plans)',
    policies: POLICIES,
    iterations: samples.length,
    store: 'file (WAL, synchronous=FULL)',
    p50_ms: pct(0.5),
    p99_ms: pct(0.99),
    max_ms: pct(1),
    target_p99_ms: 50,
  }),
)
store.close()
rmSync(dir, { recursive: true, force: true })
