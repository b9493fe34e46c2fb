// Probes: lvs.table (the IPVS table against the inventory: missing services, no capacity,
// drift) and lvs.stats (per real server counters, rates and connection counts) for policies.
import {
  defineProbe,
  type LvsFacts,
  Name,
  PluginError,
  type ProbeResult,
  z,
} from '../../core/plugin/index.ts'
import { type LvsConfig, type LvsContext, onDirector, readTable } from './ipvsadm.ts'
import { findService, type LiveService, serverId, serviceArgs, serviceId } from './model.ts'
import { parseCount, parseListing } from './parse.ts'
import { planReconcile } from './reconcile-plan.ts'
import { type LvsTarget, resolveTarget } from './targets.ts'

const TableInput = z.strictObject({ service: z.string().min(1).optional() })

export const tableProbe = defineProbe<typeof TableInput, LvsConfig>({
  description: 'the IPVS table of each director, checked against the inventory',
  input: TableInput,
  run: (input, ctx) =>
    measured(async () => {
      const names = input.service
        ? [input.service]
        : ctx.inventory.config.services.filter((s) => s.lvs).map((s) => s.name)
      const targets = await Promise.all(names.map((n) => resolveTarget(ctx.inventory, n)))
      const critical: string[] = []
      const warning: string[] = []
      const services: Record<string, unknown>[] = []
      const lvs: Record<string, LvsFacts> = {}
      for (const [director, group] of groupByDirector(targets)) {
        const table = await readTable(onDirector(ctx, director))
        for (const target of group) {
          const live = findService(table, target.service.ref)
          const problem = capacityProblem(target, live)
          if (problem) (problem.severe ? critical : warning).push(problem.text)
          services.push(describeService(target, live, director))
          lvs[target.name] = factsOf(target, live)
        }
        // A missing service is reported once, not as every command that would recreate it.
        const present = group.filter((t) => findService(table, t.service.ref))
        const drift = planReconcile(present, table, { prune: !input.service, keepDrained: true })
        warning.push(...drift.map((c) => `drift: ${c.note}`))
      }
      const status = critical.length > 0 ? 'critical' : warning.length > 0 ? 'warning' : 'ok'
      const detail =
        [...critical, ...warning].join('; ') || `${services.length} services as declared`
      return {
        status,
        detail,
        data: { services, problems: [...critical, ...warning] },
        facts: { lvs },
      }
    }),
})

const StatsInput = z.strictObject({ service: Name, node: Name.optional() })

export const statsProbe = defineProbe<typeof StatsInput, LvsConfig>({
  description: 'counters, rates and connections of a service and its real servers',
  input: StatsInput,
  run: (input, ctx) =>
    measured(async () => {
      const target = await resolveTarget(ctx.inventory, input.service)
      const servers = await serverStats(ctx, target)
      const mine = input.node ? servers.find((s) => s.node === input.node) : undefined
      if (input.node && !mine)
        return {
          status: 'critical',
          detail: `${input.node} is not in ${input.service}'s IPVS table`,
          data: { servers },
        }
      const active = mine ? mine.active : servers.reduce((n, s) => n + Number(s.active), 0)
      const who = mine ? `${input.node} in ${input.service}` : input.service
      return {
        status: 'ok',
        detail: `${who}: ${active} active connections`,
        data: { servers, ...(mine ? { server: mine } : {}), active_connections: active },
      }
    }),
})

/** `-Ln --stats --exact`, `-Ln --rate --exact` and `-Ln` of one service, merged per server. */
async function serverStats(ctx: LvsContext, target: LvsTarget) {
  const director = onDirector(ctx, target.director)
  const args = serviceArgs(target.service.ref)
  const id = serviceId(target.service.ref)
  const read = async (extra: string[]) =>
    parseListing(await director.run(['-Ln', ...args, ...extra])).get(id)
  const stats = await read(['--stats', '--exact'])
  const rates = await read(['--rate', '--exact'])
  const plain = await read([])
  return [...(plain?.servers ?? [])].map(([address, columns]) => {
    const node = target.servers.find((s) => serverId(s.server) === address)?.node ?? null
    const [conns, inpkts, outpkts, inbytes, outbytes] = (stats?.servers.get(address) ?? []).map(
      parseCount,
    )
    const [cps, inpps, outpps, inbps, outbps] = (rates?.servers.get(address) ?? []).map(parseCount)
    const [forward, weight, active, inactive] = columns
    return {
      node,
      address,
      forwarding: forward?.toLowerCase() ?? null,
      weight: parseCount(weight),
      active: parseCount(active),
      inactive: parseCount(inactive),
      ...{ conns, inpkts, outpkts, inbytes, outbytes, cps, inpps, outpps, inbps, outbps },
    }
  })
}

/** Missing from the kernel, or nobody left to take traffic. */
function capacityProblem(target: LvsTarget, live: LiveService | undefined) {
  if (!live)
    return {
      severe: true,
      text: `${target.name}: ${serviceId(target.service.ref)} is not in the IPVS table`,
    }
  const sorryId = target.sorry ? serverId(target.sorry) : undefined
  const serving = live.servers.filter((s) => s.weight > 0 && serverId(s) !== sorryId)
  if (serving.length > 0) return undefined
  const sorry = sorryId !== undefined && live.servers.some((s) => serverId(s) === sorryId)
  return sorry
    ? {
        severe: false,
        text: `${target.name}: every real server is drained; the sorry server answers`,
      }
    : { severe: true, text: `${target.name}: no real server has weight above 0` }
}

function describeService(target: LvsTarget, live: LiveService | undefined, director: string) {
  const nodeOf = (id: string) => nodeAt(target, id) ?? null
  return {
    name: target.name,
    director,
    id: serviceId(target.service.ref),
    present: live !== undefined,
    scheduler: live?.scheduler ?? null,
    persistence: live?.persistence ?? null,
    servers: (live?.servers ?? []).map((s) => ({ node: nodeOf(serverId(s)), ...s })),
  }
}

/** The live weights and connections of the inventory's real servers (others are not ours to show). */
function factsOf(target: LvsTarget, live: LiveService | undefined): LvsFacts {
  const servers: LvsFacts['servers'] = {}
  for (const s of live?.servers ?? []) {
    const node = nodeAt(target, serverId(s))
    if (node) servers[node] = { weight: s.weight, active: s.active, inactive: s.inactive }
  }
  return { present: live !== undefined, servers }
}

/** The inventory node behind a real server's `address:port` in the table. */
function nodeAt(target: LvsTarget, id: string): string | undefined {
  return target.servers.find((s) => serverId(s.server) === id)?.node
}

function groupByDirector(targets: LvsTarget[]): Map<string, LvsTarget[]> {
  const groups = new Map<string, LvsTarget[]>()
  for (const target of targets)
    groups.set(target.director, [...(groups.get(target.director) ?? []), target])
  return groups
}

/** Times the probe; a failing tool is `unknown` (`timeout`, or `critical` for a missing service). */
async function measured(body: () => Promise<Omit<ProbeResult, 'latencyMs'>>): Promise<ProbeResult> {
  const started = performance.now()
  try {
    return { ...(await body()), latencyMs: Math.round(performance.now() - started) }
  } catch (error) {
    const kind = error instanceof PluginError ? error.kind : ''
    const status =
      kind === 'TIMEOUT' ? 'timeout' : kind === 'NO_SUCH_SERVICE' ? 'critical' : 'unknown'
    const detail = error instanceof Error ? error.message : String(error)
    return { status, detail, latencyMs: Math.round(performance.now() - started) }
  }
}
