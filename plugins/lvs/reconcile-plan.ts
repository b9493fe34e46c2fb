// The reconcile diff: what must change for a director's IPVS table to match the inventory, as
// the fewest ipvsadm commands (one per service or server that differs, none when it matches).
import {
  deleteServerCommand,
  deleteServiceCommand,
  serverCommand,
  serviceCommand,
} from './commands.ts'
import {
  findServer,
  findService,
  type IpvsTable,
  type LiveServer,
  type LiveService,
  type RealServer,
  serverId,
  serviceId,
  type VirtualService,
} from './model.ts'
import type { DesiredServer, LvsTarget } from './targets.ts'

export interface Change {
  args: string[]
  /** What and why, in the inventory's words: `web: node2 weight 3 → 5`. */
  note: string
}

export interface ReconcileOptions {
  /** Delete services of this director that the inventory does not declare. */
  prune: boolean
  /** Real servers at weight 0 stay drained, and a sorry server in place stays. */
  keepDrained: boolean
}

/**
 * Changes that make `table` match `targets` (all on one director). Adds come before edits and
 * deletes, so capacity is never removed before its replacement is in.
 *
 * @example
 * planReconcile([web], await readTable(director), { prune: false, keepDrained: false })
 */
export function planReconcile(
  targets: LvsTarget[],
  table: IpvsTable,
  options: ReconcileOptions,
): Change[] {
  const adds: Change[] = []
  const edits: Change[] = []
  const deletes: Change[] = []
  for (const target of targets) {
    const actual = findService(table, target.service.ref)
    if (!actual) {
      adds.push(addService(target))
      for (const desired of target.servers) adds.push(addServer(target, desired))
      continue
    }
    const settings = serviceEdit(target, actual)
    if (settings) edits.push(settings)
    planServers(target, actual, options, { adds, edits, deletes })
  }
  if (options.prune) {
    const declared = new Set(targets.map((t) => serviceId(t.service.ref)))
    for (const service of table) {
      const id = serviceId(service.ref)
      if (!declared.has(id))
        deletes.push({
          args: deleteServiceCommand(service.ref),
          note: `delete ${id}: not in the inventory`,
        })
    }
  }
  return [...adds, ...edits, ...deletes]
}

/** The server as it should be, keeping whatever the inventory does not declare. */
export function desiredEdit(
  desired: DesiredServer,
  actual: LiveServer,
  keepDrained: boolean,
): RealServer {
  const { server } = desired
  const keepWeight = keepDrained && actual.weight === 0
  const sameTunnel = server.forwarding === 'tunnel' && actual.forwarding === 'tunnel'
  return {
    address: server.address,
    port: server.port,
    forwarding: server.forwarding,
    weight: keepWeight ? 0 : server.weight,
    upper: desired.thresholdsDeclared ? server.upper : actual.upper,
    lower: desired.thresholdsDeclared ? server.lower : actual.lower,
    tunnel: sameTunnel ? actual.tunnel : server.tunnel,
  }
}

/** Human summary of how two server settings differ: `weight 3 → 5, forwarding route → masq`. */
export function serverDifferences(from: RealServer, to: RealServer): string[] {
  const out: string[] = []
  if (from.weight !== to.weight) out.push(`weight ${from.weight} → ${to.weight}`)
  if (from.forwarding !== to.forwarding)
    out.push(`forwarding ${from.forwarding} → ${to.forwarding}`)
  if (from.upper !== to.upper || from.lower !== to.lower)
    out.push(`thresholds ${from.upper}/${from.lower} → ${to.upper}/${to.lower}`)
  if (JSON.stringify(from.tunnel) !== JSON.stringify(to.tunnel))
    out.push(`tunnel ${describeTunnel(from)} → ${describeTunnel(to)}`)
  return out
}

function planServers(
  target: LvsTarget,
  actual: LiveService,
  options: ReconcileOptions,
  out: { adds: Change[]; edits: Change[]; deletes: Change[] },
): void {
  for (const desired of target.servers) {
    const live = findServer(actual.servers, desired.server)
    if (!live) {
      out.adds.push(addServer(target, desired))
      continue
    }
    const wanted = desiredEdit(desired, live, options.keepDrained)
    const differences = serverDifferences(live, wanted)
    if (differences.length > 0)
      out.edits.push({
        args: serverCommand('-e', target.service.ref, wanted),
        note: `${target.name}: ${desired.node} ${serverId(wanted)} ${differences.join(', ')}`,
      })
  }
  const declared = new Set(target.servers.map((s) => serverId(s.server)))
  for (const live of actual.servers) {
    if (declared.has(serverId(live))) continue
    const isSorry = target.sorry !== null && serverId(target.sorry) === serverId(live)
    if (isSorry && options.keepDrained) continue
    out.deletes.push({
      args: deleteServerCommand(target.service.ref, live),
      note: `${target.name}: remove ${isSorry ? 'sorry server' : 'undeclared real server'} ${serverId(live)}`,
    })
  }
}

function addService(target: LvsTarget): Change {
  return {
    args: serviceCommand('-A', target.service),
    note: `${target.name}: add virtual service ${serviceId(target.service.ref)} (${target.service.scheduler})`,
  }
}

function addServer(target: LvsTarget, desired: DesiredServer): Change {
  const { server } = desired
  return {
    args: serverCommand('-a', target.service.ref, server),
    note: `${target.name}: add ${desired.node} ${serverId(server)} (${server.forwarding}, weight ${server.weight})`,
  }
}

/** `-E` when scheduler or persistence differ; settings the inventory does not model are kept. */
function serviceEdit(target: LvsTarget, actual: LiveService): Change | undefined {
  const want = target.service
  const differences: string[] = []
  if (want.scheduler !== actual.scheduler)
    differences.push(`scheduler ${actual.scheduler} → ${want.scheduler}`)
  if (want.persistence !== actual.persistence)
    differences.push(`persistence ${actual.persistence ?? 'off'} → ${want.persistence ?? 'off'}`)
  else if (want.persistence !== null && netmaskOf(want) !== netmaskOf(actual))
    differences.push(`persistence netmask ${netmaskOf(actual)} → ${netmaskOf(want)}`)
  if (differences.length === 0) return undefined
  const merged: VirtualService = {
    ...want,
    pe: actual.pe,
    ops: actual.ops,
    schedFlags: flagsFor(want.scheduler, actual.schedFlags),
  }
  return { args: serviceCommand('-E', merged), note: `${target.name}: ${differences.join(', ')}` }
}

/** The granularity ipvsadm assumes when none is printed: one host. */
function netmaskOf(service: VirtualService): string {
  const ipv6 =
    service.ref.protocol === 'fwmark' ? service.ref.ipv6 : service.ref.address.includes(':')
  return service.netmask ?? (ipv6 ? '128' : '255.255.255.255')
}

/** sh- and mh- flags only mean something to their own scheduler; ipvsadm refuses them elsewhere. */
function flagsFor(scheduler: string, flags: string | null): string | null {
  if (!flags) return null
  const kept = flags.split(',').filter((f) => !/^(sh|mh)-/.test(f) || f.startsWith(`${scheduler}-`))
  return kept.length > 0 ? kept.join(',') : null
}

function describeTunnel(server: RealServer): string {
  if (!server.tunnel) return 'none'
  const { type, port, checksum } = server.tunnel
  return [type, port, checksum].filter((x) => x !== undefined).join(':')
}
