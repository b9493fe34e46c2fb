// bench:act's site: an inventory of many cluster nodes behind LVS, and 1,000 policies of the kinds
// policies/ and docs/policy.md show, of which only a few concern any one node.down.

const SERVICES = 50
const VMS = 200

export const nodeName = (i: number) => `node${i}`

/** tandem.yaml: cluster nodes with real servers and guests, a webhook channel, the bench plugin. */
export function siteYaml(nodes: number, dbFile: string, plugin: string, port: number): string {
  const lines = [
    'version: 1',
    'cluster: { name: bench, manager: rgmanager }',
    `daemon: { listen: "127.0.0.1:0", store: "file:${dbFile}" }`,
    'monitor: { node_down_quorum: 2, blind_threshold: 0.5 }',
    'nodes:',
    '  - { name: director, address: 127.0.9.1, roles: [director, monitor] }',
  ]
  for (let i = 0; i < nodes; i++)
    lines.push(
      `  - { name: ${nodeName(i)}, address: 127.0.${10 + Math.floor(i / 200)}.${(i % 200) + 1}, roles: [cluster, hypervisor] }`,
    )
  lines.push('services:')
  for (let s = 0; s < SERVICES; s++) {
    lines.push(
      `  - name: svc${s}`,
      `    lvs: { director: director, address: 192.0.2.${s + 1}, port: 80, forwarding: masq }`,
      '    real_servers:',
    )
    for (let k = 0; k < 4; k++)
      lines.push(`      - { node: ${nodeName((s * 4 + k) % nodes)}, port: 8080 }`)
  }
  lines.push('vms:')
  for (let v = 0; v < VMS; v++) lines.push(`  - { name: vm${v}, host: ${nodeName(v % nodes)} }`)
  lines.push(
    'channels:',
    '  - name: oncall',
    '    type: webhook',
    `    with: { url: "http://127.0.0.1:${port}/hook", secrets: [env:BENCH_ACT_WHSEC], allow: [127.0.0.1/32] }`,
    'routes: { receiver: oncall, group_by: [node], group_wait: 1s }',
    `plugins: { bench: { module: "${plugin}" } }`,
  )
  return `${lines.join('\n')}\n`
}

/**
 * Policy number `i`. 0: the fleet's node-down failover (fence, then drain), the one that fires;
 * 1: a `for: 20s` escalation every node.down starts; the rest: per-node and per-group node
 * policies whose `if:` rejects this fleet's nodes, and check, alert, VM and service policies.
 */
export function policyYaml(i: number, nodes: number): string {
  const name = `name: p${String(i).padStart(4, '0')}`
  if (i === 0) return `${name}-node-down-failover\n${FAILOVER}`
  if (i === 1) return `${name}-evacuate-if-still-down\n${STILL_DOWN}`
  const kind = i % 10
  const node = nodeName((i * 7) % nodes)
  if (kind < 3)
    return `${name}-guests-of-${node}
on: { event: [node.down, node.unreachable], node: ${node} }
if: health.quorate && size(inventory.nodes[event.subject].guests) > 3
incident: node.down:\${{ event.subject }}
steps:
  - uses: fence.fence
    with: { node: "\${{ event.subject }}" }
  - uses: xen.restart_elsewhere
    foreach: \${{ inventory.nodes[event.subject].guests }}
    with: { vm: "\${{ item }}", from: "\${{ event.subject }}" }
guards: { cooldown: 15m, max_fences: { count: 1, window: 30m } }
notify: { channels: [oncall] }
`
  if (kind === 3)
    return `${name}-group-${i % 40}
on: { event: node.down, node: "node${i % 40}*" }
if: health.nodes[event.subject] == "down" && "storage" in inventory.nodes[event.subject].roles
steps:
  - uses: xen.evacuate
    with: { host: "\${{ event.subject }}" }
`
  if (kind < 7)
    return `${name}-drain-on-check-svc${i % SERVICES}
on: { event: check.failed, service: svc${i % SERVICES}, node: "*" }
if: inventory.services[event.labels.service].director != "" && event.labels.severity == "critical"
steps:
  - uses: lvs.drain
    with: { service: "\${{ event.labels.service }}", node: "\${{ event.labels.node }}" }
guards: { cooldown: 10m, max_drained_percent: 50 }
`
  if (kind === 7)
    return `${name}-alert-${i % 50}
on: { event: alert.received, labels: { alertname: Alert${i % 50} } }
if: has(event.labels.service) && event.labels.service in inventory.services
steps:
  - uses: lvs.reconcile
    with: { service: "\${{ event.labels.service }}" }
guards: { approval: required, approval_ttl: 30m }
`
  if (kind === 8)
    return `${name}-vm${i % VMS}-down
on: { event: vm.down, vm: vm${i % VMS} }
if: health.nodes[inventory.vms[event.subject].host] == "up"
steps:
  - uses: xen.restart_elsewhere
    with: { vm: "\${{ event.subject }}" }
`
  return `${name}-sorry-svc${i % SERVICES}
on: [{ event: service.down, service: svc${i % SERVICES} }, manual]
steps:
  - uses: lvs.sorry_server
    with: { service: svc${i % SERVICES}, enable: true }
notify: { channels: [oncall], on: [succeeded, failed] }
`
}

const FAILOVER = `description: Fence a dead cluster node, then drain its real servers.
on:
  - event: node.down
    node: node*
if: health.quorate && "cluster" in inventory.nodes[event.subject].roles
incident: node.down:\${{ event.subject }}
steps:
  - name: fence the dead node
    uses: bench.fence
    with: { node: "\${{ event.subject }}" }
    timeout: 90s
    on_failure: escalate
  - name: drain its real servers
    uses: bench.drain
    foreach: >-
      \${{ inventory.nodes[event.subject].real_servers
          .filter(r, inventory.services[r.service].director != "") }}
    concurrency: 4
    with: { service: "\${{ item.service }}", node: "\${{ item.node }}" }
    on_failure: continue
guards:
  cooldown: 15m
  max_runs: { count: 100000, window: 1h }
  max_fences: { count: 100000, window: 30m }
  require_quorum: true
notify:
  channels: [oncall]
  on: [started, succeeded, failed, blocked]
`

const STILL_DOWN = `description: A node still down after 20 s loses its guests to the survivors.
on: { event: node.down, node: "node*" }
if: size(inventory.nodes[event.subject].guests) > 0
for: 20s
steps:
  - uses: xen.evacuate
    with: { host: "\${{ event.subject }}" }
notify: { channels: [oncall] }
`
