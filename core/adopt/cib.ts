// A Pacemaker CIB (`cibadmin -Q` or a file) → nodes, stonith devices and levels, groups as services.
import {
  type ClusterServiceDraft,
  emptyFragment,
  type Fragment,
  type Origin,
  SECRET_OPTIONS,
  secretRefFor,
} from './draft.ts'
import { inputError } from './input.ts'
import { attr, children, parseXml, type XmlElement, type XmlSource } from './xml.ts'

export function parseCib(file: string, text: string): Fragment {
  const xml = parseXml(file, text)
  if (xml.rootName !== 'cib')
    throw inputError({ file, line: 1 }, `root element is <${xml.rootName}>, expected <cib>`)
  duplicateIds(xml)
  const fragment = emptyFragment('cib', file)
  const config = children(xml.root, 'configuration')[0]
  if (!config) throw inputError({ file, line: 1 }, '<cib> has no <configuration>')
  const name = clusterName(config) ?? 'cluster'
  fragment.cluster = { name, manager: 'pacemaker', at: xml.lineOf('cib') }
  for (const node of children(children(config, 'nodes')[0], 'node')) {
    const uname = attr(node, 'uname')
    if (uname)
      fragment.nodes.push({ name: uname, role: 'cluster', at: xml.lineOf('node', 'uname', uname) })
  }
  const resources = children(config, 'resources')[0] ?? {}
  const at = (el: XmlElement, tag: string) => xml.lineOf(tag, 'id', attr(el, 'id'))
  for (const p of children(resources, 'primitive')) {
    if (attr(p, 'class') === 'stonith') stonith(p, at(p, 'primitive'), fragment)
    else topLevel(xml, p, [p], fragment)
  }
  for (const g of children(resources, 'group')) topLevel(xml, g, children(g, 'primitive'), fragment)
  for (const c of [...children(resources, 'clone'), ...children(resources, 'master')])
    clone(xml, c, fragment)
  for (const b of children(resources, 'bundle'))
    fragment.notes.push({
      level: 'skipped',
      at: at(b, 'bundle'),
      message: `bundle ${attr(b, 'id')}: container bundles are not imported`,
    })
  constraints(xml, children(config, 'constraints')[0], fragment)
  fencingTopology(xml, children(config, 'fencing-topology')[0], fragment)
  return fragment
}

/** Pacemaker itself refuses a CIB whose ids repeat; so do we, naming both lines. */
function duplicateIds(xml: XmlSource): void {
  const seen = new Map<string, Origin>()
  for (const t of xml.tags) {
    const id = t.attrs.id
    if (id === undefined || t.tag === 'node' || t.tag === 'node_state') continue
    const first = seen.get(id)
    if (first)
      throw inputError(
        t.at,
        `duplicate id "${id}" (first at line ${first.line}): ids must be unique in a CIB`,
      )
    seen.set(id, t.at)
  }
}

function nvpairs(el: XmlElement, set: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const s of children(el, set))
    for (const nv of children(s, 'nvpair')) out[attr(nv, 'name') ?? ''] = attr(nv, 'value') ?? ''
  return out
}

function clusterName(config: XmlElement): string | undefined {
  const props = nvpairs(children(config, 'crm_config')[0] ?? {}, 'cluster_property_set')
  return props['cluster-name']?.toLowerCase()
}

function stonith(p: XmlElement, at: Origin, fragment: Fragment): void {
  const name = attr(p, 'id')!
  const params = nvpairs(p, 'instance_attributes')
  const options: Record<string, string> = {}
  let hosts: string[] | undefined
  for (const [key, value] of Object.entries(params)) {
    if (key === 'pcmk_host_list') hosts = value.split(/[\s,]+/).filter(Boolean)
    else if (key === 'pcmk_host_map')
      hosts = value
        .split(/[;\s]+/)
        .filter(Boolean)
        .map((e) => e.split(':')[0]!)
    else if (key.startsWith('pcmk_'))
      fragment.notes.push({
        level: 'skipped',
        at,
        message: `stonith ${name}: ${key} is Pacemaker's own, not imported`,
      })
    else options[key] = SECRET_OPTIONS.test(key) ? secretRefFor(name, key) : value
  }
  fragment.fenceDevices.push({
    name,
    agent: attr(p, 'type') ?? '',
    options,
    ...(hosts ? { hosts } : {}),
    at,
  })
}

function topLevel(xml: XmlSource, el: XmlElement, members: XmlElement[], fragment: Fragment): void {
  const id = attr(el, 'id')!
  const tag = members.length === 1 && members[0] === el ? 'primitive' : 'group'
  const at = xml.lineOf(tag, 'id', id)
  const vm = members.find((m) => ['VirtualDomain', 'Xen'].includes(attr(m, 'type') ?? ''))
  if (vm && members.length === 1) {
    fragment.vms.push({
      name: id,
      toolstack: attr(vm, 'type') === 'Xen' ? 'xl' : 'virsh',
      preferred: [],
      at,
    })
    return
  }
  const draft: ClusterServiceDraft = {
    name: id,
    manager: 'pacemaker',
    resource: id,
    preferred: [],
    restricted: false,
    vips: [],
    storage: [],
    monitors: [],
    at,
  }
  for (const m of members) {
    const type = attr(m, 'type') ?? ''
    const params = nvpairs(m, 'instance_attributes')
    const mAt = xml.lineOf('primitive', 'id', attr(m, 'id'))
    if (type === 'IPaddr2' || type === 'IPaddr') draft.vips.push(params.ip ?? '')
    else if (type === 'Filesystem' && /^gfs2?$/.test(params.fstype ?? '')) {
      const name = attr(m, 'id')!.toLowerCase()
      draft.storage.push(name)
      fragment.storage.push({
        name,
        device: params.device ?? '',
        mountpoint: params.directory ?? '/',
        at: mAt,
      })
    } else {
      const ops = children(children(m, 'operations')[0], 'op').filter(
        (o) => attr(o, 'name') === 'monitor',
      )
      const cls = attr(m, 'class')
      const script =
        cls === 'lsb'
          ? `/etc/init.d/${type}`
          : cls === 'ocf'
            ? `/usr/lib/ocf/resource.d/${attr(m, 'provider')}/${type}`
            : undefined
      draft.monitors.push({
        what: `${attr(m, 'class')}:${type}${ops.length ? ` monitor ${attr(ops[0]!, 'interval')}` : ''}`,
        ...(script ? { script } : {}),
        at: mAt,
      })
    }
  }
  fragment.services.push(draft)
}

function clone(xml: XmlSource, c: XmlElement, fragment: Fragment): void {
  const id = attr(c, 'id')!
  const at = xml.lineOf('clone', 'id', id)
  const inner = [...children(c, 'primitive'), ...children(children(c, 'group')[0], 'primitive')]
  const fs = inner.find(
    (p) =>
      attr(p, 'type') === 'Filesystem' &&
      /^gfs2?$/.test(nvpairs(p, 'instance_attributes').fstype ?? ''),
  )
  if (fs) {
    const params = nvpairs(fs, 'instance_attributes')
    // A cloned GFS2 mount is the Pacemaker way to share storage: every node mounts it.
    fragment.storage.push({
      name: attr(fs, 'id')!.toLowerCase(),
      device: params.device ?? '',
      mountpoint: params.directory ?? '/',
      at: xml.lineOf('primitive', 'id', attr(fs, 'id')),
    })
    return
  }
  fragment.notes.push({
    level: 'skipped',
    at,
    message: `clone ${id}: runs on every node; tandem places single-instance services, so it is not imported`,
  })
}

function constraints(xml: XmlSource, el: XmlElement | undefined, fragment: Fragment): void {
  const scores = new Map<string, { node: string; score: number }[]>()
  for (const loc of children(el, 'rsc_location')) {
    const rsc = attr(loc, 'rsc')
    const node = attr(loc, 'node')
    const at = xml.lineOf('rsc_location', 'id', attr(loc, 'id'))
    if (!rsc || !node) {
      fragment.notes.push({
        level: 'skipped',
        at,
        message: `rsc_location ${attr(loc, 'id')}: rule-based locations are not imported`,
      })
      continue
    }
    const raw = attr(loc, 'score') ?? '0'
    const score = /^-?INFINITY$/i.test(raw.replace('+', ''))
      ? raw.startsWith('-')
        ? -1e9
        : 1e9
      : Number(raw)
    const list = scores.get(rsc) ?? []
    list.push({ node, score })
    scores.set(rsc, list)
  }
  for (const svc of fragment.services) {
    const list = (scores.get(svc.resource) ?? []).sort((a, b) => b.score - a.score)
    svc.preferred = list.filter((s) => s.score > 0).map((s) => s.node)
    const banned = list.filter((s) => s.score < 0).map((s) => s.node)
    if (banned.length > 0)
      fragment.notes.push({
        level: 'info',
        at: svc.at,
        message: `${svc.name} is banned from ${banned.join(', ')}: tandem will not prefer them (bans stay with Pacemaker)`,
      })
  }
  for (const vm of fragment.vms)
    vm.preferred = (scores.get(vm.name) ?? [])
      .sort((a, b) => b.score - a.score)
      .filter((s) => s.score > 0)
      .map((s) => s.node)
  for (const tag of ['rsc_colocation', 'rsc_order', 'rsc_ticket'])
    for (const c of children(el, tag))
      fragment.notes.push({
        level: 'info',
        at: xml.lineOf(tag, 'id', attr(c, 'id')),
        message: `${tag} ${attr(c, 'id')}: ordering and colocation stay with Pacemaker`,
      })
}

function fencingTopology(xml: XmlSource, el: XmlElement | undefined, fragment: Fragment): void {
  const byNode = new Map<string, { index: number; devices: string[]; at: Origin }[]>()
  for (const level of children(el, 'fencing-level')) {
    const target = attr(level, 'target')
    const at = xml.lineOf('fencing-level', 'id', attr(level, 'id'))
    if (!target) {
      fragment.notes.push({
        level: 'skipped',
        at,
        message: `fencing-level ${attr(level, 'id')}: only target= levels are imported`,
      })
      continue
    }
    const list = byNode.get(target) ?? []
    list.push({
      index: Number(attr(level, 'index') ?? 1),
      devices: (attr(level, 'devices') ?? '').split(','),
      at,
    })
    byNode.set(target, list)
  }
  for (const [node, levels] of byNode) {
    levels.sort((a, b) => a.index - b.index)
    fragment.fencing.push({
      node,
      levels: levels.map((l) => l.devices.map((device) => ({ device, plug: node }))),
      at: levels[0]!.at,
    })
  }
  // Without a topology, each device fences the hosts it lists: one level per node.
  if (byNode.size > 0) return
  const nodes = new Map<string, { device: string; plug: string }[]>()
  for (const dev of fragment.fenceDevices)
    for (const host of dev.hosts ?? [])
      nodes.set(host, [...(nodes.get(host) ?? []), { device: dev.name, plug: host }])
  for (const [node, devices] of nodes)
    fragment.fencing.push({
      node,
      levels: devices.map((d) => [d]),
      at: fragment.fenceDevices.find((d) => d.name === devices[0]!.device)!.at,
    })
}
