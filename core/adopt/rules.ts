// The rules that compare a service's LVS side with its cluster side, where two worlds disagree.
import { basename } from 'node:path'
import type { Origin } from './draft.ts'
import { where } from './draft.ts'
import type { Finding } from './findings.ts'
import type { JoinedService } from './joined-service.ts'
import { describe } from './lvs-merge.ts'

type Resolve = (mention: { name?: string; address?: string }, at: Origin) => string

/** Every disagreement between the LVS and the cluster definitions of one service. */
export function serviceFindings(s: JoinedService, resolve: Resolve): Finding[] {
  const out: Finding[] = []
  if (s.lvs) out.push(...scriptsDuplicatingMonitors(s))
  if (!s.lvs || !s.cluster) return out
  const c = s.cluster
  const domainAt = c.domainAt ?? c.at
  const preferred = c.preferred.map((n) => resolve({ name: n }, domainAt))
  const servers = s.lvs.servers
  const outside = servers.filter((r) => preferred.length > 0 && !preferred.includes(r.node))
  if (outside.length > 0)
    out.push({
      kind: 'lvs-outside-cluster',
      sites: [outside[0]!.server.at, domainAt],
      message: `${s.name}: LVS balances it on ${outside.map((r) => r.node).join(', ')} (${where(outside[0]!.server.at)}) but the cluster ${c.restricted ? 'may only run' : 'prefers to run'} it on ${preferred.join(', ')} (${where(domainAt)})`,
      result: `real servers as LVS has them; cluster.preferred [${preferred.join(', ')}]`,
    })
  // The node the cluster wants first should not weigh less than a node it wants later.
  const weightOf = new Map(servers.map((r) => [r.node, r.server.weight ?? 1]))
  const ranked = preferred.filter((n) => weightOf.has(n))
  for (let i = 1; i < ranked.length; i++) {
    const before = ranked[i - 1]!
    const after = ranked[i]!
    if (weightOf.get(before)! >= weightOf.get(after)!) continue
    out.push({
      kind: 'weights-vs-priorities',
      sites: [servers.find((r) => r.node === after)!.server.at, domainAt],
      message: `${s.name}: the cluster prefers ${before} over ${after} (${where(domainAt)}) but LVS weighs ${before} ${weightOf.get(before)} and ${after} ${weightOf.get(after)} (${where(servers.find((r) => r.node === after)!.server.at)})`,
      result: 'weights and preferences kept as written; decide which order is meant',
    })
    break
  }
  return out
}

/** A MISC_CHECK/external check that runs the very script the cluster already monitors with. */
function scriptsDuplicatingMonitors(s: JoinedService): Finding[] {
  const out: Finding[] = []
  const monitors = s.cluster?.monitors.filter((m) => m.script) ?? []
  for (const check of s.lvs!.checks.filter((c) => c.kind === 'exec')) {
    const script = check.command![0]!
    const same = monitors.find(
      (m) => m.script === script || basename(m.script!) === basename(script),
    )
    if (!same) continue
    out.push({
      kind: 'script-duplicates-monitor',
      sites: [check.at, same.at],
      message: `${s.name}: ${describe(check)} at ${where(check.at)} runs the script the cluster monitors with (${same.what}, ${where(same.at)})`,
      result: `one exec check "${check.command!.join(' ')}" per real server; the cluster keeps its own monitor`,
    })
  }
  return out
}
