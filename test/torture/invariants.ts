// The safety promises of issue 16, judged against what the lab world did (its history), not only the journal.
import type { Config } from '../../core/inventory/index.ts'
import type { InboxMessage } from '../lab/inbox.ts'
import type { World } from '../lab/world.mjs'
import { runsOn } from '../lab/xen.mjs'
import { historyOf, type WorldHistory } from './world-history.ts'

export type InvariantName =
  | 'fence-before-recover'
  | 'failure-handled'
  | 'one-fence-per-episode'
  | 'journal-truthful'
  | 'incidents-resolved'
  | 'world-matches-inventory'
  | 'notice-once'

export interface Violation {
  invariant: InvariantName
  detail: string
}

/** A journal step as the invariants read it (steps joined with their run). */
export interface StepRow {
  id: string
  uses: string
  status: string
  input: Record<string, unknown>
  startedAt: number | null
  finishedAt: number | null
}

/** What the checks read: the world, the journal, the inbox, and when tandem could not see. */
export interface Evidence {
  world: World
  steps: StepRow[]
  /** Per node: when a node.down run or an audited refusal for it was recorded. */
  handledAt: Record<string, number[]>
  openIncidents: { key: string; openedAt: number }[]
  deliveries: InboxMessage[]
  /** Intervals in which no daemon could observe and act (killed, frozen, partitioned). */
  blind: [number, number][]
  /** When a daemon process died (SIGKILL, crash point): each may cost one recognisable resend. */
  deaths: number[]
}

/** How long a node must stay down, in view of a working tandem, before it must be handled. */
export const OUTLIVE_MS = 15_000

/** The checks that hold at every moment of the run. */
export function continuousChecks(config: Config, e: Evidence): Violation[] {
  const history = historyOf(e.world)
  return [
    ...fenceBeforeRecover(config, history),
    ...oneFencePerEpisode(config, history),
    ...journalTruthful(config, history, e.steps),
    ...noticeOnce(e.deliveries, e.deaths),
    ...guestsOnce(e.world),
  ]
}

/** The checks that hold once the world is healed and tandem has had time to settle. */
export function quiescentChecks(config: Config, e: Evidence, now = Date.now()): Violation[] {
  const history = historyOf(e.world)
  return [
    ...continuousChecks(config, e),
    ...failuresHandled(config, history, e, now),
    ...e.openIncidents.map((i) => ({
      invariant: 'incidents-resolved' as const,
      detail: `incident ${i.key} (opened ${new Date(i.openedAt).toISOString()}) still open at quiescence`,
    })),
    ...worldMatchesInventory(config, e.world),
  ]
}

/** Cluster nodes of the inventory (the ones a failure episode is about). */
export function clusterNodes(config: Config): string[] {
  return config.nodes.filter((n) => n.roles.includes('cluster')).map((n) => n.name)
}

/** A service, guest or storage user started away from N only after a fence of N newer than N's latest failure. */
function fenceBeforeRecover(config: Config, history: WorldHistory): Violation[] {
  const out: Violation[] = []
  const episodes = new Map(clusterNodes(config).map((n) => [n, history.episodes(n)]))
  const lastHost = new Map<string, string>()
  for (const c of history.changes) {
    const moved = c.key.startsWith('rg/') || c.key.startsWith('xen/')
    if (!moved || c.to === null) continue
    const host = String(c.to).split('#')[0] ?? ''
    const previous = lastHost.get(c.key)
    lastHost.set(c.key, host)
    if (!previous || previous === host) continue
    const episode = (episodes.get(previous) ?? []).findLast((ep) => ep.failedAt <= c.at)
    if (!episode || (episode.rejoinedAt !== undefined && episode.rejoinedAt <= c.at)) continue
    const fenced = history.fences(previous).some((t) => t >= episode.failedAt && t <= c.at)
    if (!fenced)
      out.push({
        invariant: 'fence-before-recover',
        detail: `${c.key} started on ${host} at ${iso(c.at)} (by ${c.by}) while ${previous}, failed at ${iso(episode.failedAt)}, had no confirmed fence since`,
      })
  }
  return out
}

/** After a fence call that worked, no second fence of the same node in the same episode. */
function oneFencePerEpisode(config: Config, history: WorldHistory): Violation[] {
  const out: Violation[] = []
  for (const node of clusterNodes(config))
    for (const episode of history.episodes(node)) {
      const end = episode.rejoinedAt ?? Number.POSITIVE_INFINITY
      const offs = history.fenceCalls.filter(
        (c) =>
          c.plug === node &&
          (c.action === 'off' || c.action === 'reboot') &&
          c.at >= episode.failedAt &&
          c.at < end,
      )
      const effective = history.fences(node).find((t) => t >= episode.failedAt && t < end)
      if (effective === undefined) continue
      const after = offs.filter((c) => c.at > effective)
      if (after.length > 0)
        out.push({
          invariant: 'one-fence-per-episode',
          detail: `${node} failed at ${iso(episode.failedAt)}, was fenced (power off) at ${iso(effective)}, then fenced again ${after.length}× (first ${iso(after[0]!.at)} via ${after[0]!.device})`,
        })
    }
  return out
}

/** Every step the journal calls succeeded changed the world the way it says. */
function journalTruthful(config: Config, history: WorldHistory, steps: StepRow[]): Violation[] {
  const out: Violation[] = []
  for (const step of steps) {
    if (step.status !== 'succeeded' || step.finishedAt === null) continue
    const from = step.startedAt ?? step.finishedAt
    const expected = effectOf(config, step)
    if (!expected) continue
    const ok = expected.keys.some((key) =>
      history.heldBetween(key, from, step.finishedAt!, expected.test),
    )
    if (!ok)
      out.push({
        invariant: 'journal-truthful',
        detail: `step ${step.id} ${step.uses} ${JSON.stringify(step.input)} is journaled succeeded at ${iso(step.finishedAt)}, but the world never showed ${expected.what} between ${iso(from)} and then`,
      })
  }
  return out
}

/** Every node failure that outlived `for:` in tandem's sight got a run or an audited refusal. */
function failuresHandled(
  config: Config,
  history: WorldHistory,
  e: Evidence,
  now: number,
): Violation[] {
  const out: Violation[] = []
  for (const node of clusterNodes(config))
    for (const episode of history.episodes(node)) {
      const end = episode.rejoinedAt ?? now
      const sighted = longestSighted(episode.failedAt, end, e.blind)
      if (sighted < OUTLIVE_MS) continue
      if ((e.handledAt[node] ?? []).some((at) => at >= episode.failedAt)) continue
      const blind = e.blind
        .filter(([b0, b1]) => b1 > episode.failedAt && b0 < end)
        .map(([b0, b1]) => `${iso(b0)}–${iso(b1)}`)
      out.push({
        invariant: 'failure-handled',
        detail: `${node} down from ${iso(episode.failedAt)} to ${episode.rejoinedAt ? iso(end) : 'the end'} (${sighted} ms at a stretch in tandem's sight; blind ${blind.join(', ') || 'never'}) got no run and no audited refusal`,
      })
    }
  return out
}

function worldMatchesInventory(config: Config, world: World): Violation[] {
  const out: Violation[] = []
  const bad = (detail: string) => out.push({ invariant: 'world-matches-inventory', detail })
  for (const [name, n] of Object.entries(world.nodes))
    if (n.up === false || n.power !== 'on' || n.partitioned)
      bad(`node ${name} is not up (up ${n.up}, power ${n.power}, partitioned ${!!n.partitioned})`)
  const table = ipvsTable(world)
  for (const service of config.services) {
    if (!service.lvs) continue
    for (const rs of service.real_servers) {
      const address = config.nodes.find((n) => n.name === rs.node)?.address
      const dest = table
        .find((s) => s.addr === service.lvs?.address && s.port === service.lvs?.port)
        ?.dests.find((d) => d.addr === address && d.port === rs.port)
      if (dest?.weight !== (rs.weight ?? 1))
        bad(
          `${service.name}/${rs.node} weight ${dest?.weight ?? 'absent'}, inventory says ${rs.weight ?? 1}`,
        )
    }
  }
  const rg = world.rgmanager as {
    services: Record<string, { owner: string | null; state: string }>
  }
  for (const service of config.services) {
    const name = service.cluster?.rgmanager?.service
    const svc = name ? rg?.services[`service:${name}`] : undefined
    if (!name) continue
    const owner = svc?.owner ? world.nodes[svc.owner] : undefined
    if (svc?.state !== 'started' || !owner || owner.up === false || owner.power !== 'on')
      bad(`cluster service ${name} is ${svc?.state ?? 'missing'} on ${svc?.owner ?? 'no node'}`)
  }
  const xen = world.xen as { hosts: Record<string, unknown>; domains: Record<string, unknown> }
  for (const vm of config.vms) {
    const dom = xen.domains[vm.name]
    const hosts = Object.keys(xen.hosts).filter((h) => dom && runsOn(world, dom as never, h))
    if (hosts.length !== 1)
      bad(`guest ${vm.name} runs on ${hosts.length} hosts (${hosts.join(', ')})`)
  }
  return out
}

function guestsOnce(world: World): Violation[] {
  const xen = world.xen as { violations?: { domain: string; startedOn: string; at: number }[] }
  return (xen?.violations ?? []).map((v) => ({
    invariant: 'world-matches-inventory' as const,
    detail: `guest ${v.domain} started on ${v.startedOn} at ${iso(v.at)} while it still ran elsewhere`,
  }))
}

/** Each notice id reaches each channel once (email: X-Tandem-Notice; webhook: webhook-id). */
/**
 * Each notice id reaches each channel once, except for the documented at-least-once window
 * (docs/notify.md): a copy after a daemon died between the previous copy and it is a resend
 * of an answer whose outcome the dead daemon never recorded, allowed when it carries the same
 * Message-ID (email; a webhook's id is its webhook-id). A repeat with no death in between (a
 * slow send claimed twice) or with another Message-ID is a violation.
 */
function noticeOnce(deliveries: InboxMessage[], deaths: number[]): Violation[] {
  const seen = new Map<string, InboxMessage[]>()
  for (const m of deliveries) {
    if (!m.id) continue
    const key = `${m.channel} ${m.id}`
    seen.set(key, [...(seen.get(key) ?? []), m])
  }
  const out: Violation[] = []
  for (const [key, all] of seen) {
    const sorted = [...all].sort((a, b) => a.at - b.at)
    const unexplained = sorted.slice(1).filter((m, i) => {
      const previous = sorted[i]!
      const died = deaths.some((t) => t >= previous.at && t <= m.at)
      const sameId =
        m.channel !== 'email' ||
        m.thread === undefined ||
        previous.thread === undefined ||
        m.thread.messageId === previous.thread.messageId
      return !died || !sameId
    })
    if (unexplained.length > 0)
      out.push({
        invariant: 'notice-once' as const,
        detail: `notice ${key} "${sorted[0]?.subject}" delivered ${sorted.length}× (at ${sorted.map((m) => iso(m.at)).join(', ')}), ${unexplained.length} of the repeats with no daemon death before them or another Message-ID`,
      })
  }
  return out
}

/** What a succeeded step must have done to the world: one of `keys` passed `test`. */
function effectOf(
  config: Config,
  step: StepRow,
): { keys: string[]; test: (v: unknown) => boolean; what: string } | undefined {
  const input = step.input as Record<string, string>
  const node = (name: string) => config.nodes.find((n) => n.name === name)
  if (step.uses === 'fence.fence') {
    const keys = [`node/${input.node}/power`, ...gnbdKeys(config, input.node ?? '')]
    return {
      keys,
      test: (v) => v === 'off' || v === 'cut',
      what: `${input.node} powered off or cut from storage`,
    }
  }
  if (step.uses === 'lvs.drain' || step.uses === 'lvs.restore') {
    const service = config.services.find((s) => s.name === input.service)
    const rs = service?.real_servers.find((r) => r.node === input.node)
    if (!service?.lvs || !rs) return undefined
    const director = service.lvs.director
    const key = `ipvs/${director}/${service.lvs.address}:${service.lvs.port}/${node(rs.node)?.address}:${rs.port}`
    const weight = step.uses === 'lvs.drain' ? 0 : (rs.weight ?? 1)
    return { keys: [key], test: (v) => v === weight, what: `${key} at weight ${weight}` }
  }
  if (step.uses === 'rgmanager.relocate' && input.service) {
    const key = `rg/service:${input.service}`
    const to = input.node
    return {
      keys: [key],
      test: (v) => v !== null && (to ? v === to : v !== input.from),
      what: `${input.service} started on ${to ?? `a node other than ${input.from}`}`,
    }
  }
  if (step.uses === 'xen.restart_elsewhere' || step.uses === 'xen.migrate') {
    const key = `xen/${input.vm}`
    const host = (v: unknown) => String(v).split('#')[0]
    return {
      keys: [key],
      test: (v) => v !== null && (input.to ? host(v) === input.to : host(v) !== input.from),
      what: `${input.vm} running on ${input.to ?? `a host other than ${input.from}`}`,
    }
  }
  return undefined
}

function gnbdKeys(config: Config, node: string): string[] {
  const servers = config.storage.filter((s) => s.kind === 'gnbd').map((s) => s.server)
  return servers.map((server) => `gnbd/${server}/${node}`)
}

function ipvsTable(world: World) {
  const ipvs = world.ipvs as
    | {
        tables?: Record<
          string,
          {
            services: {
              addr: string | null
              port: number
              dests: { addr: string; port: number; weight: number }[]
            }[]
          }
        >
      }
    | undefined
  return ipvs?.tables?.director?.services ?? []
}

/** The longest stretch of [from, to] outside every blind interval. */
function longestSighted(from: number, to: number, blind: [number, number][]): number {
  let longest = 0
  let start = from
  for (const [b0, b1] of [...blind].sort((a, b) => a[0] - b[0])) {
    if (b1 <= start || b0 >= to) continue
    longest = Math.max(longest, Math.min(b0, to) - start)
    start = Math.max(start, b1)
  }
  return Math.max(longest, to - start)
}

function iso(at: number): string {
  return new Date(at).toISOString().slice(11, 23)
}
