// Cross-reference checks: every name a section uses must exist, once, and GFS users must be fenceable.

import { nearestName } from './nearest.ts'
import type { Route } from './routes.ts'
import type { Config } from './schema.ts'

/** One broken reference, pointing at the field that holds it. */
export interface XrefIssue {
  path: (string | number)[]
  message: string
}

/** Every broken reference in a schema-valid config; empty when the inventory hangs together. */
export function crossReferenceIssues(config: Config): XrefIssue[] {
  const issues: XrefIssue[] = []
  const nodes = names(config.nodes)
  const mustBeNode = (name: string, path: (string | number)[]) =>
    mustExist(issues, nodes, 'node', name, path)

  duplicates(issues, config.nodes, ['nodes'])
  duplicates(issues, config.services, ['services'])
  duplicates(issues, config.vms, ['vms'])
  duplicates(issues, config.storage, ['storage'])
  duplicates(issues, config.channels, ['channels'])
  duplicates(issues, config.fencing.devices, ['fencing', 'devices'])
  config.vms.forEach((vm, i) => {
    if (nodes.has(vm.name))
      issues.push({ path: ['vms', i, 'name'], message: `"${vm.name}" is already a node name` })
    mustBeNode(vm.host, ['vms', i, 'host'])
    vm.preferred.forEach((n, j) => void mustBeNode(n, ['vms', i, 'preferred', j]))
  })
  config.nodes.forEach((node, i) => {
    node.depends_on.forEach((n, j) => void mustBeNode(n, ['nodes', i, 'depends_on', j]))
  })
  for (let i = 0; i < config.services.length; i++) checkService(config, issues, i, mustBeNode)
  checkStorage(config, issues, mustBeNode)
  checkFencing(config, issues, mustBeNode)
  checkRoutes(config, issues)
  return issues
}

function checkService(
  config: Config,
  issues: XrefIssue[],
  i: number,
  mustBeNode: (name: string, path: (string | number)[]) => void,
): void {
  const service = config.services[i]!
  const at = ['services', i]
  if (service.lvs) {
    mustBeNode(service.lvs.director, [...at, 'lvs', 'director'])
    const director = config.nodes.find((n) => n.name === service.lvs?.director)
    if (director && !director.roles.includes('director'))
      issues.push({
        path: [...at, 'lvs', 'director'],
        message: `node "${director.name}" does not have the "director" role`,
      })
    if (service.real_servers.length === 0)
      issues.push({
        path: [...at, 'real_servers'],
        message: 'an LVS service needs at least one real server',
      })
  }
  const seen = new Set<string>()
  service.real_servers.forEach((rs, j) => {
    mustBeNode(rs.node, [...at, 'real_servers', j, 'node'])
    const key = `${rs.node}:${rs.port ?? service.lvs?.port ?? 0}`
    if (seen.has(key))
      issues.push({
        path: [...at, 'real_servers', j],
        message: `real server ${key} is listed twice`,
      })
    seen.add(key)
  })
  if (service.cluster) {
    service.cluster.preferred.forEach(
      (n, j) => void mustBeNode(n, [...at, 'cluster', 'preferred', j]),
    )
    const manager = service.cluster.rgmanager ? 'rgmanager' : 'pacemaker'
    if (config.cluster && config.cluster.manager !== manager)
      issues.push({
        path: [...at, 'cluster', manager],
        message: `the cluster is managed by ${config.cluster.manager}, not ${manager}`,
      })
    if (!config.cluster)
      issues.push({
        path: [...at, 'cluster'],
        message: 'a cluster placement needs a top-level "cluster" section',
      })
  }
  const storage = names(config.storage)
  service.storage.forEach(
    (s, j) => void mustExist(issues, storage, 'storage', s, [...at, 'storage', j]),
  )
}

function checkStorage(
  config: Config,
  issues: XrefIssue[],
  mustBeNode: (n: string, p: (string | number)[]) => void,
) {
  const exports = new Set(config.storage.filter((s) => s.kind !== 'gfs').map((s) => s.name))
  const fenced = new Set(config.fencing.nodes.map((f) => f.node))
  config.storage.forEach((volume, i) => {
    if (volume.kind !== 'gfs') {
      mustBeNode(volume.server, ['storage', i, 'server'])
      return
    }
    if (volume.on !== undefined)
      mustExist(issues, exports, 'GNBD or NBD export', volume.on, ['storage', i, 'on'])
    volume.mounted_by.forEach((node, j) => {
      mustBeNode(node, ['storage', i, 'mounted_by', j])
      if (!fenced.has(node))
        issues.push({
          path: ['storage', i, 'mounted_by', j],
          message: `node "${node}" mounts GFS "${volume.name}" but has no fence device: add it under fencing.nodes`,
        })
    })
  })
}

function checkFencing(
  config: Config,
  issues: XrefIssue[],
  mustBeNode: (n: string, p: (string | number)[]) => void,
) {
  const devices = names(config.fencing.devices)
  const seen = new Set<string>()
  config.fencing.nodes.forEach((entry, i) => {
    mustBeNode(entry.node, ['fencing', 'nodes', i, 'node'])
    if (seen.has(entry.node))
      issues.push({
        path: ['fencing', 'nodes', i, 'node'],
        message: `fencing for "${entry.node}" is declared twice`,
      })
    seen.add(entry.node)
    entry.levels.forEach((level, l) => {
      level.forEach((device, d) => {
        const name = typeof device === 'string' ? device : device.device
        mustExist(issues, devices, 'fence device', name, ['fencing', 'nodes', i, 'levels', l, d])
      })
    })
  })
}

/** Every receiver a route names (and the escalation receiver) must be a declared channel. */
function checkRoutes(config: Config, issues: XrefIssue[]): void {
  if (!config.routes) return
  const channels = names(config.channels)
  const mustBeChannel = (name: string | undefined, path: (string | number)[]) => {
    if (name !== undefined) mustExist(issues, channels, 'channel', name, path)
  }
  mustBeChannel(config.routes.receiver, ['routes', 'receiver'])
  mustBeChannel(config.routes.escalation, ['routes', 'escalation'])
  const walk = (routes: Route[], at: (string | number)[]) =>
    routes.forEach((route, i) => {
      mustBeChannel(route.receiver, [...at, i, 'receiver'])
      walk(route.routes, [...at, i, 'routes'])
    })
  walk(config.routes.routes, ['routes', 'routes'])
}

function names(items: readonly { name: string }[]): Set<string> {
  return new Set(items.map((item) => item.name))
}

function duplicates(
  issues: XrefIssue[],
  items: readonly { name: string }[],
  at: (string | number)[],
): void {
  const seen = new Set<string>()
  items.forEach((item, i) => {
    if (seen.has(item.name))
      issues.push({ path: [...at, i, 'name'], message: `duplicate name "${item.name}"` })
    seen.add(item.name)
  })
}

function mustExist(
  issues: XrefIssue[],
  known: Set<string>,
  what: string,
  name: string,
  path: (string | number)[],
): void {
  if (known.has(name)) return
  const near = nearestName(name, [...known])
  issues.push({
    path,
    message: `no ${what} named "${name}"${near ? `; did you mean "${near}"?` : ''}`,
  })
}
