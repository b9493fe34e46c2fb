// The cluster side of the merge: shared storage (only where fencing makes it safe) and fencing.
import type { Fragment, Note, Origin } from './draft.ts'
import { where } from './draft.ts'
import type { Finding } from './findings.ts'
import { type createNodeRegistry, nodeName } from './nodes.ts'

type Nodes = ReturnType<typeof createNodeRegistry>

/** GFS volumes, mounted only by nodes that can be fenced: tandem fences before recovering. */
export function storageOf(
  fragments: Fragment[],
  nodes: Nodes,
  fenced: Set<string>,
  findings: Finding[],
  notes: Note[],
  origins: Map<object, Origin[]>,
) {
  const names = new Set<string>()
  const inputs: Record<string, unknown>[] = []
  const members = nodes
    .all()
    .filter((n) => n.roles.has('cluster'))
    .map((n) => n.name)
  for (const s of fragments.flatMap((f) => f.storage)) {
    if (names.has(s.name)) continue
    const mountedBy = s.mountedBy?.map((n) => nodes.resolve({ name: n }, s.at)) ?? members
    const unfenced = mountedBy.filter((n) => !fenced.has(n))
    const safe = mountedBy.filter((n) => fenced.has(n))
    if (unfenced.length > 0)
      findings.push({
        kind: 'gfs-unfenced',
        sites: [s.at],
        message: `GFS ${s.name} at ${where(s.at)} is mounted by ${unfenced.join(', ')}, which ${unfenced.length === 1 ? 'has' : 'have'} no fence device`,
        result: safe.length
          ? `mounted_by [${safe.join(', ')}]; add fencing for ${unfenced.join(', ')} before tandem recovers its services there`
          : 'not imported: no node that mounts it can be fenced',
      })
    if (safe.length === 0) {
      notes.push({
        level: 'skipped',
        at: s.at,
        message: `GFS ${s.name}: no mounting node has a fence device, so it is not imported (its services are not fenced before recovery)`,
      })
      continue
    }
    if (!s.device.startsWith('/')) {
      notes.push({
        level: 'skipped',
        at: s.at,
        message: `GFS ${s.name}: device "${s.device}" is not a path`,
      })
      continue
    }
    names.add(s.name)
    const out = {
      name: s.name,
      kind: 'gfs',
      device: s.device,
      mountpoint: s.mountpoint,
      mounted_by: safe,
    }
    origins.set(out, [s.at])
    inputs.push(out)
  }
  return { names, inputs }
}

/** Fence devices with fence_* agents, and each node's levels over them. */
export function fencingOf(
  fragments: Fragment[],
  nodes: Nodes,
  notes: Note[],
  origins: Map<object, Origin[]>,
) {
  const devices: Record<string, unknown>[] = []
  const known = new Set<string>()
  for (const d of fragments.flatMap((f) => f.fenceDevices)) {
    if (!/^fence_[a-z0-9_]+$/.test(d.agent)) {
      notes.push({
        level: 'skipped',
        at: d.at,
        message: `fence device ${d.name}: agent "${d.agent}" is not a fence_* agent, not imported`,
      })
      continue
    }
    const name = nodeName(d.name)
    known.add(d.name)
    const out = {
      name,
      agent: d.agent,
      ...(Object.keys(d.options).length ? { options: d.options } : {}),
      ...(d.agent === 'fence_gnbd' ? { kind: 'storage' } : {}),
    }
    origins.set(out, [d.at])
    devices.push(out)
  }
  const out: Record<string, unknown>[] = []
  for (const n of fragments.flatMap((f) => f.fencing)) {
    const levels = n.levels
      .map((level) =>
        level
          .filter((e) => known.has(e.device))
          .map((e) => (e.plug ? { device: nodeName(e.device), plug: e.plug } : nodeName(e.device))),
      )
      .filter((level) => level.length > 0)
    if (levels.length === 0) continue
    const entry = { node: nodes.resolve({ name: n.node }, n.at), levels }
    origins.set(entry, [n.at])
    out.push(entry)
  }
  return { devices, nodes: out }
}
