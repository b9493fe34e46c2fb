// rgmanager's cluster.conf → cluster nodes, fence devices and levels, services with their domains.
import {
  type ClusterServiceDraft,
  emptyFragment,
  type Fragment,
  SECRET_OPTIONS,
  secretRefFor,
} from './draft.ts'
import { inputError } from './input.ts'
import { attr, children, parseXml, type XmlElement, type XmlSource } from './xml.ts'

/** cluster.conf sections that belong to cman/corosync themselves: nothing for tandem to import. */
const MANAGER_OWN = new Set([
  'cman',
  'totem',
  'logging',
  'quorumd',
  'fence_daemon',
  'dlm',
  'gfs_controld',
  'fence_xvmd',
  'clvmd',
  'uidgid',
])
const KNOWN = new Set([
  ...MANAGER_OWN,
  'clusternodes',
  'fencedevices',
  'rm',
  'name',
  'config_version',
  'alias',
])
/** Resource agents whose children are still parts of the same service. */
const FS_KINDS = new Set(['clusterfs', 'fs', 'netfs'])

export function parseClusterConf(file: string, text: string): Fragment {
  const xml = parseXml(file, text)
  if (xml.rootName !== 'cluster')
    throw inputError({ file, line: 1 }, `root element is <${xml.rootName}>, expected <cluster>`)
  const fragment = emptyFragment('cluster-conf', file)
  const root = xml.root
  const name = attr(root, 'name')
  if (!name) throw inputError({ file, line: 1 }, '<cluster> has no name')
  fragment.cluster = { name: name.toLowerCase(), manager: 'rgmanager', at: xml.lineOf('cluster') }
  for (const key of Object.keys(root))
    if (!KNOWN.has(key) && Array.isArray(root[key]))
      fragment.notes.push({
        level: 'skipped',
        at: xml.lineOf(key),
        message: `<${key}>: unknown section, not imported`,
      })
  for (const key of MANAGER_OWN)
    if (root[key])
      fragment.notes.push({
        level: 'info',
        at: xml.lineOf(key),
        message: `<${key}>: the cluster manager's own setting, stays in cluster.conf`,
      })
  fenceDevices(xml, fragment)
  for (const node of children(children(root, 'clusternodes')[0], 'clusternode'))
    clusterNode(xml, node, fragment)
  const rm = children(root, 'rm')[0]
  if (rm) resourceManager(xml, rm, fragment)
  return fragment
}

function fenceDevices(xml: XmlSource, fragment: Fragment): void {
  for (const dev of children(children(xml.root, 'fencedevices')[0], 'fencedevice')) {
    const name = attr(dev, 'name')
    const agent = attr(dev, 'agent')
    const at = xml.lineOf('fencedevice', 'name', name)
    if (!name || !agent) throw inputError(at, '<fencedevice> needs name and agent')
    const options: Record<string, string> = {}
    for (const [key, value] of Object.entries(dev)) {
      if (key === 'name' || key === 'agent' || typeof value !== 'string') continue
      if (key === 'passwd_script' || key === 'password_script') {
        fragment.notes.push({
          level: 'skipped',
          at,
          message: `fence device ${name}: ${key} is not imported; tandem takes the password from ${secretRefFor(name, 'passwd')}`,
        })
        options.passwd = secretRefFor(name, 'passwd')
      } else if (SECRET_OPTIONS.test(key)) options[key] = secretRefFor(name, key)
      else options[key] = value
    }
    const hosts = options.servers?.split(/\s+/)
    fragment.fenceDevices.push({
      name,
      agent,
      options,
      ...(hosts && agent === 'fence_gnbd' ? { hosts } : {}),
      at,
    })
  }
}

function clusterNode(xml: XmlSource, node: XmlElement, fragment: Fragment): void {
  const name = attr(node, 'name')
  const at = xml.lineOf('clusternode', 'name', name)
  if (!name) throw inputError(at, '<clusternode> needs a name')
  fragment.nodes.push({ name, role: 'cluster', at })
  const levels = children(children(node, 'fence')[0], 'method')
    .map((method) =>
      children(method, 'device').map((d) => {
        const device = attr(d, 'name')
        if (!device) throw inputError(at, `fence method of ${name}: <device> needs a name`)
        const plug = attr(d, 'port') ?? attr(d, 'plug') ?? attr(d, 'nodename') ?? attr(d, 'domain')
        return { device, ...(plug ? { plug } : {}) }
      }),
    )
    .filter((level) => level.length > 0)
  if (levels.length > 0) fragment.fencing.push({ node: name, levels, at })
}

function resourceManager(xml: XmlSource, rm: XmlElement, fragment: Fragment): void {
  const domains = new Map<
    string,
    { nodes: string[]; restricted: boolean; at: ReturnType<XmlSource['lineOf']> }
  >()
  for (const d of children(children(rm, 'failoverdomains')[0], 'failoverdomain')) {
    const name = attr(d, 'name') ?? ''
    const ordered = attr(d, 'ordered') === '1'
    const members = children(d, 'failoverdomainnode').map((n, i) => ({
      node: attr(n, 'name') ?? '',
      priority: ordered ? Number(attr(n, 'priority') ?? 1) : 1,
      i,
    }))
    members.sort((a, b) => a.priority - b.priority || a.i - b.i)
    domains.set(name, {
      nodes: members.map((m) => m.node),
      restricted: attr(d, 'restricted') === '1',
      at: xml.lineOf('failoverdomain', 'name', name),
    })
  }
  const shared = new Map<string, { tag: string; el: XmlElement }>()
  for (const [tag, list] of Object.entries(children(rm, 'resources')[0] ?? {}))
    if (Array.isArray(list))
      for (const el of list) shared.set(attr(el, 'name') ?? attr(el, 'address') ?? '', { tag, el })
  for (const tag of ['service', 'vm']) {
    for (const svc of children(rm, tag)) {
      const name = attr(svc, 'name')
      const at = xml.lineOf(tag, 'name', name)
      if (!name) throw inputError(at, `<${tag}> needs a name`)
      const domainName = attr(svc, 'domain')
      const domain = domainName ? domains.get(domainName) : undefined
      if (domainName && !domain)
        throw inputError(at, `${tag} ${name}: no failoverdomain named "${domainName}"`)
      if (tag === 'vm') {
        fragment.vms.push({
          name,
          toolstack: attr(svc, 'use_virsh') === '1' ? 'virsh' : 'xm',
          preferred: domain?.nodes ?? [],
          at,
        })
        continue
      }
      const draft: ClusterServiceDraft = {
        name,
        manager: 'rgmanager',
        resource: name,
        preferred: domain?.nodes ?? [],
        restricted: domain?.restricted ?? false,
        ...(domain ? { domainAt: domain.at } : {}),
        vips: [],
        storage: [],
        monitors: [],
        at,
      }
      walkResources(xml, svc, shared, draft, fragment)
      fragment.services.push(draft)
    }
  }
}

/** A service's resource tree: IPs, file systems and scripts, inline or by `ref=`. */
function walkResources(
  xml: XmlSource,
  el: XmlElement,
  shared: Map<string, { tag: string; el: XmlElement }>,
  draft: ClusterServiceDraft,
  fragment: Fragment,
): void {
  for (const [tag, list] of Object.entries(el)) {
    if (!Array.isArray(list)) continue
    for (const child of list) {
      const ref = attr(child, 'ref')
      const res = ref ? shared.get(ref)?.el : child
      const at = xml.lineOf(tag, ref ? 'ref' : 'name', ref ?? attr(child, 'name'))
      if (ref && !res)
        throw inputError(at, `service ${draft.name}: <${tag} ref="${ref}"> names no resource`)
      const r = { ...res!, ...child }
      if (tag === 'ip') draft.vips.push(attr(r, 'address') ?? ref ?? '')
      else if (tag === 'script')
        draft.monitors.push({ what: `script ${attr(r, 'file')}`, script: attr(r, 'file'), at })
      else if (FS_KINDS.has(tag)) {
        const fstype = attr(r, 'fstype') ?? (tag === 'clusterfs' ? 'gfs' : '')
        if (/^gfs2?$/.test(fstype)) {
          const name = (attr(r, 'name') ?? '').toLowerCase()
          draft.storage.push(name)
          if (!fragment.storage.some((s) => s.name === name))
            fragment.storage.push({
              name,
              device: attr(r, 'device') ?? '',
              mountpoint: attr(r, 'mountpoint') ?? '/',
              at,
            })
        } else draft.monitors.push({ what: `${tag} ${attr(r, 'mountpoint') ?? ''}`, at })
      } else draft.monitors.push({ what: `${tag} ${attr(r, 'name') ?? ''}`.trim(), at })
      walkResources(xml, child, shared, draft, fragment)
    }
  }
}
