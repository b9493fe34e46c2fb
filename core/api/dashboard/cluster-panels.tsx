// The cluster at a glance: summary, nodes (fence state, guests, services), LVS services and cluster placement.
/** @jsxImportSource hono/jsx */
import type { ClusterStatus, NodeStatus, ServiceStatus } from '../views/cluster-status.ts'
import { Ago, Badge } from './bits.tsx'

export function Summary({ status }: { status: ClusterStatus }) {
  const nodesUp = status.nodes.filter((n) => n.health.state === 'up').length
  const badNodes = status.nodes.filter((n) => ['down', 'unreachable'].includes(n.health.state))
  const badServices = status.services.filter((s) => ['down', 'degraded'].includes(s.health.state))
  const unclean = status.nodes.filter((n) => n.fence?.state === 'unclean')
  const { openIncidents, pendingApprovals, activeSilences } = status.summary
  // A node nothing can judge says so on its card; it is not "waiting" for anything.
  const unknown = status.nodes.filter((n) => n.health.state === 'unknown' && n.watched)
  const problems = [
    ...badNodes.map((n) => `${n.name} is ${n.health.state}`),
    ...unclean.map(
      (n) =>
        `${n.name} is unclean (fencing not confirmed${n.fence?.reason ? `: ${n.fence.reason}` : ''})`,
    ),
    ...badServices.map((s) => `${s.name} is ${s.health.state}`),
  ]
  return (
    <>
      {problems.length > 0 ? (
        <div class="banner" id="banner">
          <strong>Attention: </strong>
          {problems.join(' · ')}
        </div>
      ) : unknown.length > 0 ? (
        <div class="banner waiting" id="banner">
          Waiting for the first probe results ({unknown.length} of{' '}
          {status.nodes.filter((n) => n.watched).length} watched nodes not reported yet).
        </div>
      ) : (
        <div class="banner calm" id="banner">
          All nodes and services are up. Nothing needs you right now.
        </div>
      )}
      <span id="cluster-name" hidden>
        {status.cluster.name ? `${status.cluster.name} · ${status.cluster.manager}` : ''}
      </span>
      <div class="summary">
        <div class={`stat ${badNodes.length ? 'bad' : ''}`}>
          <b>
            {nodesUp}/{status.nodes.length}
          </b>
          <span>nodes up</span>
        </div>
        <div class={`stat ${badServices.length ? 'warn' : ''}`}>
          <b>
            {status.services.length - badServices.length}/{status.services.length}
          </b>
          <span>services healthy</span>
        </div>
        <div class={`stat ${openIncidents ? 'warn' : ''}`}>
          <b>{openIncidents}</b>
          <span>open incidents</span>
        </div>
        <div class={`stat ${pendingApprovals ? 'warn' : ''}`}>
          <b>{pendingApprovals}</b>
          <span>waiting for approval</span>
        </div>
        <div class="stat">
          <b>{activeSilences}</b>
          <span>silences active</span>
        </div>
        <div class="stat">
          <b>{status.summary.targets}</b>
          <span>targets watched</span>
        </div>
      </div>
    </>
  )
}

export function Nodes({ status }: { status: ClusterStatus }) {
  return (
    <section class="panel" id="nodes">
      <h2>Nodes</h2>
      <div class="grid">
        {status.nodes.map((node) => (
          <NodeCard node={node} now={status.generatedAt} />
        ))}
      </div>
    </section>
  )
}

function NodeCard({ node, now }: { node: NodeStatus; now: number }) {
  return (
    <div class={`node ${node.health.state}`} data-node={node.name}>
      <h3>
        {node.name}{' '}
        <Badge
          state={node.health.state}
          label={!node.watched && node.health.state === 'unknown' ? 'no verdict' : undefined}
        />
        {node.fence ? (
          <Badge state={node.fence.state} label={`fence: ${node.fence.state}`} />
        ) : null}
      </h3>
      {node.fence?.reason ? <div class="fence-reason muted">{node.fence.reason}</div> : null}
      {node.verdictNote ? <div class="verdict-note muted">{node.verdictNote}</div> : null}
      <div class="addr">
        {node.address} ·{' '}
        {node.roles.map((r) => (
          <span class="chip">{r}</span>
        ))}
      </div>
      <dl>
        <dt>since</dt>
        <dd>
          <Ago at={node.health.since} now={now} />
          {node.health.flapping ? <Badge state="degraded" label="flapping" /> : null}
        </dd>
        <Fact label="runs" items={node.clusterServices} />
        <Fact label="guests" items={node.guests.map((g) => `${g.name} (${g.memoryMib} MiB)`)} />
        <Fact label="serves" items={node.serves} />
        <Fact label="fencing" items={node.fenceLevels.map((level) => level.join('+'))} join=" → " />
      </dl>
    </div>
  )
}

/** One `<dt>/<dd>` line of a node card, left out when there is nothing to say. */
function Fact({ label, items, join = ', ' }: { label: string; items: string[]; join?: string }) {
  if (items.length === 0) return null
  return (
    <>
      <dt>{label}</dt>
      <dd>{items.join(join)}</dd>
    </>
  )
}

export function Services({ status }: { status: ClusterStatus }) {
  return (
    <section class="panel" id="services">
      <h2>Services</h2>
      {status.services.map((s) => (
        <ServiceBlock service={s} />
      ))}
    </section>
  )
}

function ServiceBlock({ service: s }: { service: ServiceStatus }) {
  const vip = s.lvs
    ? `${s.lvs.protocol} ${s.lvs.fwmark ?? `${s.lvs.address}:${s.lvs.port}`} · ${s.lvs.scheduler} · ${s.lvs.forwarding} · via ${s.lvs.director}`
    : null
  return (
    <div class="svc" data-service={s.name}>
      <h3>
        {s.name} <Badge state={s.health.state} />
        {vip ? <span class="vip">{vip}</span> : null}
      </h3>
      {s.cluster ? (
        <div class="muted">
          {s.cluster.manager} {s.cluster.name}: running on{' '}
          <strong class="owner">
            {s.cluster.owner ?? (s.cluster.state ? 'nowhere' : 'unknown')}
          </strong>
          {s.cluster.state && !/^started$/i.test(s.cluster.state) ? (
            <span class="owner-state">
              {' '}
              ({s.cluster.state}
              {s.cluster.owner === null && s.cluster.lastOwner
                ? `, last on ${s.cluster.lastOwner}`
                : ''}
              )
            </span>
          ) : null}
          {s.cluster.preferred.length ? ` · preferred ${s.cluster.preferred.join(' → ')}` : ''}
          {s.sharedStorage
            ? ` · shared storage ${s.storage.join(', ')} (fence before recover)`
            : ''}
        </div>
      ) : null}
      {s.realServers.length > 0 ? <ServerTable service={s} /> : null}
    </div>
  )
}

/**
 * A service's servers. An LVS service shows what `ipvsadm -L` shows (forwarding, weight, active
 * and inactive connections); a service without LVS has no weights or routes to show.
 */
function ServerTable({ service: s }: { service: ServiceStatus }) {
  const lvs = s.lvs !== null
  return (
    <table class={lvs ? 'lvs' : 'plain'}>
      <thead>
        <tr>
          <th>{lvs ? 'real server' : 'node'}</th>
          <th>address</th>
          {lvs ? <th>weight</th> : null}
          {lvs ? <th title="active / inactive connections (ipvsadm -L)">conns</th> : null}
          <th>state</th>
          <th>checks</th>
        </tr>
      </thead>
      <tbody>
        {s.realServers.map((r) => (
          <tr data-real-server={`${s.name}/${r.node}`}>
            <td>{r.node}</td>
            <td class="mono">
              {r.address}:{r.port} {lvs ? <span class="muted">{r.forwarding}</span> : null}
            </td>
            {lvs ? (
              <td class="weight">
                <Weight server={r} />
              </td>
            ) : null}
            {lvs ? (
              <td class="conns mono" data-conns={`${s.name}/${r.node}`}>
                {r.connections ? `${r.connections.active} / ${r.connections.inactive}` : '—'}
              </td>
            ) : null}
            <td>
              <Badge state={r.health.state} />
            </td>
            <td>
              {Object.entries(r.checks).map(([name, state]) => (
                <span class="chip">
                  {name}: {state}
                </span>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Weight({ server: r }: { server: ServiceStatus['realServers'][number] }) {
  if (r.inTable === false) return <span class="live0">not in IPVS table</span>
  if (r.liveWeight === null) return <>{r.weight}</>
  return (
    <span class={r.liveWeight === 0 ? 'live0' : ''}>
      {r.liveWeight} <span class="muted">/ {r.weight}</span>
    </span>
  )
}

export function Guests({ status }: { status: ClusterStatus }) {
  if (status.vms.length === 0) return null
  return (
    <section class="panel" id="guests">
      <h2>Guests</h2>
      <table>
        <thead>
          <tr>
            <th>guest</th>
            <th>host</th>
            <th>state</th>
            <th>memory</th>
            <th>toolstack</th>
          </tr>
        </thead>
        <tbody>
          {status.vms.map((vm) => (
            <tr>
              <td>{vm.name}</td>
              <td>
                {vm.host}
                {vm.host !== vm.declaredHost ? (
                  <span class="muted"> (home {vm.declaredHost})</span>
                ) : null}
              </td>
              <td>
                <Badge state={vm.health.state} />
              </td>
              <td>{vm.memoryMib} MiB</td>
              <td class="muted">{vm.toolstack}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
