// Benchmark of the cluster plugins: parse cost of big clustat/crm_mon reports and probe latency end to end.
// Prints one JSON line. Real crm_mon output comes from a generated 8-node, 120-resource CIB.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCrmMon } from '../../plugins/pacemaker/crm-mon.ts'
import pacemaker from '../../plugins/pacemaker/index.ts'
import { parseClustat } from '../../plugins/rgmanager/clustat.ts'
import rgmanager from '../../plugins/rgmanager/index.ts'
import { LAB_BIN, pluginContext, tempDir } from '../cluster/support.ts'
import { seedRgmanager } from '../lab/rgmanager.mjs'
import { writeWorld } from '../lab/world.mjs'

const NODES = 8
const SERVICES = 500
const RESOURCES = 120
const dir = tempDir('bench-cluster')

const clustatXml = labClustat()
const crmMonXml = realCrmMon()
const result = {
  bench: 'cluster',
  clustat_services: SERVICES,
  clustat_bytes: clustatXml.length,
  clustat_parse_ms_p50: percentile(
    times(50, () => parseClustat(clustatXml)),
    50,
  ),
  crm_mon_resources: RESOURCES,
  crm_mon_bytes: crmMonXml.length,
  crm_mon_parse_ms_p50: crmMonXml
    ? percentile(
        times(50, () => parseCrmMon(crmMonXml)),
        50,
      )
    : null,
  ...(await probeLatency()),
  note: 'shared 2-core machine: figures are noisy',
}
console.log(JSON.stringify(result))

function labClustat(): string {
  const world = join(dir, 'world.json')
  process.env.TANDEM_LAB_WORLD = world
  const nodes = Array.from({ length: NODES }, (_, i) => `node${i + 1}`)
  const services = Object.fromEntries(
    Array.from({ length: SERVICES }, (_, i) => [`svc${i}`, { owner: nodes[i % NODES] }]),
  )
  writeWorld({
    version: 1,
    nodes: Object.fromEntries(nodes.map((n) => [n, { up: true, power: 'on' as const }])),
    rgmanager: seedRgmanager({ nodes, services }),
  })
  return execFileSync(join(LAB_BIN, 'clustat'), ['-x'], { env: { ...process.env } }).toString()
}

/** A CIB with many primitives, started by crm_simulate, read by the real crm_mon. */
function realCrmMon(): string {
  const cib = join(dir, 'cib.xml')
  const ids = Array.from({ length: NODES }, (_, i) => i + 1)
  const nodes = ids.map((i) => `<node id="${i}" uname="node${i}"/>`).join('')
  const states = ids
    .map(
      (i) =>
        `<node_state id="${i}" uname="node${i}" in_ccm="true" crmd="online" join="member" expected="member"/>`,
    )
    .join('')
  const primitives = Array.from(
    { length: RESOURCES },
    (_, i) => `<primitive id="r${i}" class="ocf" provider="pacemaker" type="Dummy"/>`,
  ).join('')
  writeFileSync(
    cib,
    `<cib have-quorum="1" crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes>${nodes}</nodes><resources>${primitives}</resources><constraints/></configuration><status>${states}</status></cib>`,
  )
  try {
    execFileSync('crm_simulate', ['-x', cib, '-S', '-O', cib], { stdio: 'ignore' })
    return execFileSync('crm_mon', ['--output-as=xml'], {
      env: { ...process.env, CIB_file: cib },
    }).toString()
  } catch {
    return ''
  }
}

async function probeLatency() {
  const rg = rgmanager.probes?.membership
  const pcmk = pacemaker.probes?.status
  const rgCtx = pluginContext(rgmanager, {
    clustat: join(LAB_BIN, 'clustat'),
    env: { TANDEM_LAB_WORLD: process.env.TANDEM_LAB_WORLD ?? '' },
  })
  const pcmkCtx = pluginContext(pacemaker, { env: { CIB_file: join(dir, 'cib.xml') } })
  const rgTimes: number[] = []
  const pcmkTimes: number[] = []
  for (let i = 0; i < 20; i++) {
    rgTimes.push((await rg?.run({}, rgCtx))?.latencyMs ?? Number.NaN)
    if (crmMonXml) pcmkTimes.push((await pcmk?.run({}, pcmkCtx))?.latencyMs ?? Number.NaN)
  }
  return {
    rgmanager_probe_ms_p50: percentile(rgTimes, 50),
    rgmanager_probe_ms_p99: percentile(rgTimes, 99),
    pacemaker_probe_ms_p50: pcmkTimes.length ? percentile(pcmkTimes, 50) : null,
    pacemaker_probe_ms_p99: pcmkTimes.length ? percentile(pcmkTimes, 99) : null,
  }
}

function times(n: number, fn: () => unknown): number[] {
  fn()
  return Array.from({ length: n }, () => {
    const start = performance.now()
    fn()
    return performance.now() - start
  })
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const at = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return Math.round((sorted[Math.max(0, at)] ?? Number.NaN) * 100) / 100
}
