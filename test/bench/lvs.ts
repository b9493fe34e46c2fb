// `npm run bench:lvs`: how fast the lvs plugin reads a big IPVS table, plans a reconcile over
// it, and drains a server end to end against the simulator. Prints one JSON line.
import { performance } from 'node:perf_hooks'
import type { IpvsTable } from '../../plugins/lvs/model.ts'
import { parseListing, parseSave } from '../../plugins/lvs/parse.ts'
import { planReconcile } from '../../plugins/lvs/reconcile-plan.ts'
import type { LvsTarget } from '../../plugins/lvs/targets.ts'
import { lvsContext, simulatorLab } from '../lvs/harness.ts'
import { LAB_INVENTORY, run } from '../lvs/scenarios.ts'

const SERVICES = 100
const SERVERS = 50

/** `-S -n` and `-Ln --thresholds` of SERVICES × SERVERS real servers. */
function bigTable() {
  let save = ''
  let thresholds = 'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n'
  for (let s = 0; s < SERVICES; s++) {
    const vip = `127.1.${s >> 8}.${s & 255}:80`
    save += `-A -t ${vip} -s wrr\n`
    thresholds += `TCP  ${vip} wrr\n`
    for (let r = 0; r < SERVERS; r++) {
      save += `-a -t ${vip} -r 127.2.${s}.${r}:8080 -m -w ${r % 7}\n`
      thresholds += `  -> ${`127.2.${s}.${r}:8080`.padEnd(28)} 100        10         ${r}          0         \n`
    }
  }
  return { save, thresholds }
}

/** The inventory's view of the same table, with every third weight different. */
function targetsFor(table: IpvsTable): LvsTarget[] {
  return table.map((service, i) => ({
    name: `svc${i}`,
    director: 'lb',
    service: { ...service, schedFlags: null },
    servers: service.servers.map((server, j) => ({
      node: `n${i}-${j}`,
      server: { ...server, weight: j % 3 === 0 ? server.weight + 1 : server.weight },
      thresholdsDeclared: false,
    })),
    sorry: null,
  }))
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

function time(fn: () => void, runs = 15): number {
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    fn()
    samples.push(performance.now() - started)
  }
  return median(samples)
}

const { save, thresholds } = bigTable()
const parseMs = time(() => {
  parseSave(save)
  parseListing(thresholds)
})
const table = parseSave(save)
const targets = targetsFor(table)
let changes = 0
const planMs = time(() => {
  changes = planReconcile(targets, table, { prune: true, keepDrained: false }).length
})

const lab = simulatorLab()
const ctx = lvsContext(lab, LAB_INVENTORY)
await run(ctx, 'reconcile', { service: 'web' })
const drains: number[] = []
for (let i = 0; i < 10; i++) {
  const started = performance.now()
  await run(ctx, 'drain', { service: 'web', node: 'web1' })
  drains.push(performance.now() - started)
  await run(ctx, 'restore', { service: 'web', node: 'web1' })
}
await lab.stop()

console.log(
  JSON.stringify({
    bench: 'lvs',
    real_servers: SERVICES * SERVERS,
    parse_table_ms: Number(parseMs.toFixed(2)),
    plan_reconcile_ms: Number(planMs.toFixed(2)),
    planned_changes: changes,
    drain_simulator_p50_ms: Math.round(median(drains)),
    drain_simulator_max_ms: Math.round(Math.max(...drains)),
  }),
)
