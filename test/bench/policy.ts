// `npm run bench:policy`: 1,000 policies loaded: µs per event to match and evaluate `if:`, and the
// time to load and check 1,000 policy files. Prints one JSON line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HealthReading, TandemEvent } from '../../core/events/index.ts'
import { createInventory, parseConfig } from '../../core/inventory/index.ts'
import { createRegistry } from '../../core/plugin-host/index.ts'
import {
  createMatcher,
  evaluateEvent,
  healthView,
  inventoryView,
  loadPolicies,
} from '../../core/policy/index.ts'
import { builtinPlugins } from '../../plugins/index.ts'

const POLICIES = 1_000
const EVENTS = 20_000
const NODES = 200
const SERVICES = 50
const VMS = 200

let seed = 42
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
  return seed / 2 ** 31
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!

const nodes = Array.from({ length: NODES }, (_, i) => `node${i}`)
const services = Array.from({ length: SERVICES }, (_, i) => `svc${i}`)
const vms = Array.from({ length: VMS }, (_, i) => `vm${i}`)

function inventoryYaml(): string {
  const lines = [
    'version: 1',
    'nodes:',
    '  - { name: director, address: 127.0.9.1, roles: [director] }',
  ]
  nodes.forEach((n, i) => {
    lines.push(
      `  - { name: ${n}, address: 127.0.${10 + Math.floor(i / 200)}.${(i % 200) + 1}, roles: [cluster, hypervisor] }`,
    )
  })
  lines.push('services:')
  services.forEach((s, i) => {
    lines.push(
      `  - name: ${s}`,
      `    lvs: { director: director, address: 192.0.2.${i + 1}, port: 80, forwarding: masq }`,
      '    real_servers:',
    )
    for (let k = 0; k < 4; k++)
      lines.push(`      - { node: ${nodes[(i * 4 + k) % NODES]}, port: 8080 }`)
  })
  lines.push('vms:')
  vms.forEach((v, i) => {
    lines.push(`  - { name: ${v}, host: ${nodes[i % NODES]} }`)
  })
  lines.push('channels:', '  - { name: oncall, type: email }')
  return `${lines.join('\n')}\n`
}

/** `distinct`: every condition is its own text (no sharing between policies of one template). */
function policyYaml(i: number, distinct: boolean): string {
  const unique = distinct ? ` && event.at > ${i}` : ''
  const kind = i % 10
  if (kind < 4) {
    const node = pick(nodes)
    return `on: { event: [node.down, node.unreachable], node: ${node} }
if: health.quorate && "cluster" in inventory.nodes[event.subject].roles${unique}
for: 20s
steps:
  - uses: fence.fence
    with: { node: "\${{ event.subject }}" }
  - uses: lvs.drain
    foreach: \${{ inventory.nodes[event.subject].real_servers }}
    with: { service: "\${{ item.service }}", node: "\${{ item.node }}" }
  - uses: xen.restart_elsewhere
    foreach: \${{ inventory.nodes[event.subject].guests }}
    with: { vm: "\${{ item }}" }
guards: { cooldown: 15m }
notify: { channels: [oncall] }
`
  }
  if (kind < 7)
    return `on: { event: check.failed, service: ${pick(services)}, node: "*" }
if: inventory.services[event.labels.service].director != "" && event.labels.severity == "critical"${unique}
steps:
  - uses: lvs.drain
    with: { service: "\${{ event.labels.service }}", node: "\${{ event.labels.node }}" }
`
  if (kind < 8)
    return `on: { event: node.down, node: "node${Math.floor(random() * 20)}*" }
if: health.nodes[event.subject] == "down" && size(inventory.nodes[event.subject].guests) > 0${unique}
steps:
  - uses: xen.evacuate
    with: { host: "\${{ event.subject }}" }
`
  if (kind < 9)
    return `on: { event: alert.received, labels: { alertname: Alert${i % 50} } }
if: has(event.labels.node) && event.labels.node in inventory.nodes${unique}
steps:
  - uses: lvs.reconcile
`
  return `on: { event: vm.down, vm: ${pick(vms)} }
if: inventory.vms[event.subject].live_migrate && health.nodes[inventory.vms[event.subject].host] == "up"${unique}
steps:
  - uses: xen.restart_elsewhere
    with: { vm: "\${{ event.subject }}" }
`
}

function randomEvent(at: number): TandemEvent {
  const r = random()
  const severity = 'critical'
  if (r < 0.4) {
    const node = pick(nodes)
    return { type: 'node.down', subject: node, at, labels: { node, severity }, payload: {} }
  }
  if (r < 0.7) {
    const service = pick(services)
    const node = pick(nodes)
    return {
      type: 'check.failed',
      subject: `${service}/${node}/http`,
      at,
      labels: { service, node, check: 'http', severity },
      payload: {},
    }
  }
  if (r < 0.85) {
    const alertname = `Alert${Math.floor(random() * 60)}`
    return {
      type: 'alert.received',
      subject: `fp${at}`,
      at,
      labels: { alertname, node: pick(nodes), severity },
      payload: {},
    }
  }
  const vm = pick(vms)
  return { type: 'vm.down', subject: vm, at, labels: { vm, severity }, payload: {} }
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000
}

interface Scenario {
  policies: number
  eventUsMean: number
  eventCpuUsMean: number
  eventUsP50: number
  eventUsP99: number
  candidatesPerEvent: number
  matchesPerEvent: number
  loadAndCheckMs: number
  loadAndCheckCpuMs: number
}

async function scenario(distinct: boolean): Promise<Scenario> {
  seed = 42
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-policy-'))
  try {
    const inventory = createInventory(parseConfig('bench.yaml', inventoryYaml()))
    const registry = createRegistry(builtinPlugins)
    for (let i = 0; i < POLICIES; i++)
      await writeFile(join(dir, `p${String(i).padStart(4, '0')}.yaml`), policyYaml(i, distinct))
    const loadStart = performance.now()
    const loadCpu = process.cpuUsage()
    const policies = await loadPolicies(dir, { registry, inventory })
    const loadMs = performance.now() - loadStart
    const loadCpuMs = cpuMs(process.cpuUsage(loadCpu))

    const rows: HealthReading[] = nodes.map((n, i) => ({
      target: n,
      kind: 'node',
      state: i % 17 === 0 ? 'down' : 'up',
    }))
    const views = { inventory: inventoryView(inventory), health: healthView(rows, inventory) }
    const matcher = createMatcher(policies)
    seed = 7
    const events = Array.from({ length: EVENTS }, (_, i) => randomEvent(1_700_000_000_000 + i))
    for (const e of events.slice(0, 2_000)) evaluateEvent(matcher, e, views) // warm-up

    let candidates = 0
    let matches = 0
    const samples: number[] = []
    const batchStart = performance.now()
    const batchCpu = process.cpuUsage()
    for (const e of events) {
      const t = performance.now()
      const result = evaluateEvent(matcher, e, views)
      samples.push(performance.now() - t)
      candidates += result.matches.length + result.skipped.length
      matches += result.matches.length
    }
    const totalMs = performance.now() - batchStart
    const totalCpuMs = cpuMs(process.cpuUsage(batchCpu))
    samples.sort((a, b) => a - b)
    return {
      policies: policies.length,
      eventUsMean: us(totalMs / EVENTS),
      eventCpuUsMean: us(totalCpuMs / EVENTS),
      eventUsP50: us(samples[Math.floor(EVENTS * 0.5)]!),
      eventUsP99: us(samples[Math.floor(EVENTS * 0.99)]!),
      candidatesPerEvent: round(candidates / EVENTS),
      matchesPerEvent: round(matches / EVENTS),
      loadAndCheckMs: Math.round(loadMs),
      loadAndCheckCpuMs: Math.round(loadCpuMs),
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const us = (ms: number) => Math.round(ms * 1000 * 100) / 100
const round = (n: number) => Math.round(n * 100) / 100

// Distinct first: its load cannot profit from expressions compiled by the other scenario.
const distinct = await scenario(true)
const shared = await scenario(false)
console.log(
  JSON.stringify({
    bench: 'policy',
    inventory: { nodes: NODES, services: SERVICES, vms: VMS },
    events: EVENTS,
    distinctConditions: distinct,
    sharedConditions: shared,
    targets: { eventUs: 20, loadAndCheckMs: 2000 },
    loadAverage: round(os.loadavg()[0]!),
  }),
)
