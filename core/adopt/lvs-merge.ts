// Virtual services from every LVS source merged into tandem services: one check per service.
import type { CheckDraft, LvsDraft, Origin, RealServerDraft } from './draft.ts'
import { where } from './draft.ts'
import type { Finding } from './findings.ts'

/** One virtual service after merging: the first source's definition, the others' positions. */
export interface MergedLvs {
  draft: LvsDraft
  also: LvsDraft[]
  /** Real servers by endpoint, first definition wins. */
  servers: { server: RealServerDraft; node: string }[]
  checks: CheckDraft[]
}

export function lvsKey(d: LvsDraft): string {
  return d.protocol === 'fwmark' ? `fwmark ${d.fwmark}` : `${d.protocol} ${d.address}:${d.port}`
}

/** Groups virtual services by address, reporting what two sources define differently. */
export function mergeLvs(
  drafts: readonly LvsDraft[],
  nodeOf: (server: RealServerDraft) => string,
  findings: Finding[],
): MergedLvs[] {
  const byKey = new Map<string, MergedLvs>()
  for (const d of drafts) {
    const key = lvsKey(d)
    const merged = byKey.get(key)
    if (!merged) {
      byKey.set(key, { draft: d, also: [], servers: [], checks: [] })
      continue
    }
    merged.also.push(d)
    const diffs = (['scheduler', 'forwarding', 'persistence'] as const).filter(
      (f) => d[f] !== undefined && merged.draft[f] !== undefined && d[f] !== merged.draft[f],
    )
    findings.push({
      kind: 'defined-twice',
      sites: [merged.draft.at, d.at],
      message: `virtual service ${key} is defined at ${where(merged.draft.at)} and again at ${where(d.at)}${diffs.length ? ` (they differ in ${diffs.map((f) => `${f}: ${merged.draft[f]} vs ${d[f]}`).join(', ')})` : ''}`,
      result: `one service as at ${where(merged.draft.at)}, real servers of both`,
    })
  }
  for (const m of byKey.values()) collect(m, nodeOf, findings)
  checkedTwice([...byKey.values()], findings)
  return [...byKey.values()]
}

function collect(
  m: MergedLvs,
  nodeOf: (server: RealServerDraft) => string,
  findings: Finding[],
): void {
  const seen = new Set<string>()
  for (const d of [m.draft, ...m.also])
    for (const server of d.realServers) {
      const node = nodeOf(server)
      const key = `${node}:${server.port ?? d.port ?? 0}`
      if (seen.has(key)) continue
      seen.add(key)
      m.servers.push({ server, node })
    }
  // The service's checks: the most common set among its real servers (ties: the first).
  const counts = new Map<string, { n: number; checks: CheckDraft[]; server: RealServerDraft }>()
  for (const { server } of m.servers) {
    const sig = server.checks.map((c) => signature(c, server)).join(' + ')
    const entry = counts.get(sig) ?? {
      n: 0,
      checks: server.checks.map((c) => generic(c, server)),
      server,
    }
    entry.n++
    counts.set(sig, entry)
  }
  const ranked = [...counts.values()].sort((a, b) => b.n - a.n)
  m.checks = ranked[0]?.checks ?? []
  if (ranked.length < 2) return
  const named = (e: (typeof ranked)[number]) =>
    `${e.checks.map(describe).join(' + ') || 'no check'} (${e.server.address}, ${where(e.server.checks[0]?.at ?? e.server.at)})`
  findings.push({
    kind: 'checked-twice',
    sites: ranked.map((e) => e.server.checks[0]?.at ?? e.server.at),
    message: `the real servers of ${lvsKey(m.draft)} are checked in ${ranked.length} ways: ${ranked.map(named).join(' vs ')}`,
    result: `one ${ranked[0]!.checks.map(describe).join(' + ') || 'no check'} for every real server of the service`,
  })
}

/** Every real server (address:port) whose checks differ between the places that define it. */
function checkedTwice(all: MergedLvs[], findings: Finding[]): void {
  const byEndpoint = new Map<string, { server: RealServerDraft; vs: MergedLvs; sig: string }[]>()
  for (const vs of all)
    for (const d of [vs.draft, ...vs.also])
      for (const server of d.realServers) {
        const endpoint = `${server.address}:${server.port ?? d.port ?? ''}`
        const sig = server.checks.map((c) => signature(c, server)).join(' + ') || 'no check'
        byEndpoint.set(endpoint, [...(byEndpoint.get(endpoint) ?? []), { server, vs, sig }])
      }
  for (const [endpoint, defs] of byEndpoint) {
    const distinct = [...new Map(defs.map((d) => [d.sig, d])).values()]
    if (distinct.length < 2) continue
    const [first, ...rest] = distinct
    const kept = first!.vs.checks.map(describe).join(' + ') || 'no check'
    findings.push({
      kind: 'checked-twice',
      sites: distinct.map((d) => d.server.checks[0]?.at ?? d.server.at),
      message: `real server ${endpoint} is checked ${distinct.map((d) => `${d.sig === 'no check' ? 'not at all' : d.server.checks.map(describe).join(' + ')} at ${where(d.server.checks[0]?.at ?? d.server.at)}`).join(' and ')}`,
      result: `one ${kept} per service${rest.length > 0 ? ` (as at ${where(first!.server.checks[0]?.at ?? first!.server.at)})` : ''}`,
    })
  }
}

/** How the report names a check: the source's word and what it asks. */
export function describe(c: CheckDraft): string {
  const what = c.kind === 'exec' ? c.command?.[0] : c.path
  return `${c.label}${what ? ` ${what}` : ''}`
}

/** A check with the real server's own address and port replaced by `{address}` and `{port}`. */
function generic(c: CheckDraft, server: RealServerDraft): CheckDraft {
  if (!c.command) return c
  return {
    ...c,
    command: c.command.map((arg) =>
      arg === server.address ? '{address}' : arg === String(server.port) ? '{port}' : arg,
    ),
  }
}

function signature(c: CheckDraft, server: RealServerDraft): string {
  const g = generic(c, server)
  return JSON.stringify([
    g.kind,
    g.port,
    g.path,
    g.status,
    g.bodyContains,
    g.hostHeader,
    g.command,
    g.interval,
    g.timeout,
    g.fall,
  ])
}

export type { Origin }
