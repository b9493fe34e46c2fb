// Expands the inventory's checks into concrete probe targets: one per (check, real server) or (check, node).
import { TandemError } from '../errors.ts'
import type { Check, Inventory } from '../inventory/index.ts'

/** One check bound to one address: what the scheduler runs and the health engine tracks. */
export interface CheckTarget {
  /** Event subject and health key: `<service>/<node>/<check>` or `node/<node>/<check>`. */
  id: string
  scope: 'service' | 'node'
  check: Check
  node: string
  service?: string
  address: string
  /** The check's port, else the real server's (service checks), else 80/443 for http(s). */
  port?: number
}

const BUILTIN = new Set(['tcp', 'http', 'https', 'exec', 'ping'])

/** True for the kinds tandem runs itself; anything else is a plugin probe (`plugin.probe`). */
export function isBuiltinKind(kind: string): boolean {
  return BUILTIN.has(kind)
}

/** Subject of a service check on one real server, as events and health_states name it. */
export function serviceCheckId(service: string, node: string, check: string): string {
  return `${service}/${node}/${check}`
}

/** Subject of a node check. */
export function nodeCheckId(node: string, check: string): string {
  return `node/${node}/${check}`
}

/**
 * Every check of the inventory as concrete targets. A service check runs against every real
 * server of the service (the node's address, the real server's port unless the check names
 * one); a node check against the node's address. Throws CONFIG_INVALID when a check cannot
 * be addressed (a tcp check without any port).
 *
 * @example
 * const targets = planTargets(createInventory(config))
 * targets.map((t) => t.id) // ['web/node1/http', 'node/node1/ssh', ...]
 */
export function planTargets(inventory: Inventory): CheckTarget[] {
  const targets: CheckTarget[] = []
  for (const node of inventory.config.nodes) {
    for (const check of node.checks) {
      targets.push(
        validated({
          id: nodeCheckId(node.name, check.name),
          scope: 'node',
          check,
          node: node.name,
          address: node.address,
          port: check.port ?? defaultPort(check),
        }),
      )
    }
  }
  for (const service of inventory.config.services) {
    for (const server of service.real_servers) {
      const node = inventory.node(server.node)
      if (!node) continue // the loader's cross-reference check already refused this config
      for (const check of service.checks) {
        const port = check.port ?? server.port ?? service.lvs?.port ?? defaultPort(check)
        targets.push(
          validated({
            id: serviceCheckId(service.name, node.name, check.name),
            scope: 'service',
            check,
            node: node.name,
            service: service.name,
            address: node.address,
            port: port || undefined,
          }),
        )
      }
    }
  }
  return targets
}

function defaultPort(check: Check): number | undefined {
  if (check.kind === 'http') return 80
  if (check.kind === 'https') return 443
  return undefined
}

function validated(target: CheckTarget): CheckTarget {
  const { kind } = target.check
  const needsPort = kind === 'tcp' || kind === 'http' || kind === 'https'
  if (needsPort && !target.port)
    throw new TandemError(
      'CONFIG_INVALID',
      `[probe] ${target.id}: a ${kind} check needs a port (on the check or the real server)`,
    )
  if (kind === 'exec' && !target.check.command)
    throw new TandemError('CONFIG_INVALID', `[probe] ${target.id}: an exec check needs a command`)
  return target
}
