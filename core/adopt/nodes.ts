// One node per machine across every source: matched by address and by name (via a hosts file).
import type { Origin } from './draft.ts'
import { where } from './draft.ts'
import type { Finding } from './findings.ts'

export type Role = 'cluster' | 'director' | 'hypervisor' | 'storage'

export interface MergedNode {
  name: string
  address: string
  roles: Set<Role>
  at: Origin[]
}

/** Reads /etc/hosts-format text: address, then names; the first name is the canonical one. */
export function parseHosts(text: string): Map<string, string> {
  const hosts = new Map<string, string>()
  for (const raw of text.split('\n')) {
    const [address, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/)
    if (!address || names.length === 0) continue
    for (const n of names) if (!hosts.has(n.toLowerCase())) hosts.set(n.toLowerCase(), address)
  }
  return hosts
}

/** Node names as tandem spells them: lower case, letters, digits, `.`, `_`, `-`. */
export function nodeName(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, 63) || 'node'
  )
}

/** The registry the merge fills: `resolve` answers the node name for any mention. */
export function createNodeRegistry(hosts: Map<string, string>, findings: Finding[]) {
  const byName = new Map<string, MergedNode>()
  const byAddress = new Map<string, MergedNode>()
  const reverse = new Map<string, string>()
  for (const [name, address] of hosts) if (!reverse.has(address)) reverse.set(address, name)

  function resolve(mention: { name?: string; address?: string }, at: Origin, role?: Role): string {
    const name = mention.name ? nodeName(mention.name) : undefined
    const address =
      mention.address ?? (mention.name ? hosts.get(mention.name.toLowerCase()) : undefined)
    const found = (name && byName.get(name)) || (address && byAddress.get(address)) || undefined
    if (found) {
      if (address && found.address !== address && !isName(found.address, found))
        findings.push({
          kind: 'node-conflict',
          sites: [found.at[0]!, at],
          message: `node ${found.name} has address ${found.address} at ${where(found.at[0]!)} and ${address} at ${where(at)}`,
          result: `tandem keeps ${found.address}`,
        })
      else if (address && found.address !== address) {
        byAddress.delete(found.address)
        found.address = address
        byAddress.set(address, found)
      }
      if (role) found.roles.add(role)
      // References (a failover domain naming a node) are not where a node is defined.
      if (role || mention.address) found.at.push(at)
      return found.name
    }
    const chosen = name ?? nodeName(reverse.get(address!) ?? `rs-${address!.replace(/[.:]/g, '-')}`)
    const node: MergedNode = {
      name: unique(chosen),
      address: address ?? mention.name!,
      roles: new Set(role ? [role] : []),
      at: [at],
    }
    byName.set(node.name, node)
    byAddress.set(node.address, node)
    return node.name
  }

  function unique(name: string): string {
    let candidate = name
    for (let i = 2; byName.has(candidate); i++) candidate = `${name}-${i}`
    return candidate
  }

  return {
    resolve,
    get: (name: string) => byName.get(name),
    all: () => [...byName.values()],
  }
}

/** A node registered by name only carries its name as address until a source says better. */
function isName(address: string, node: MergedNode): boolean {
  return address === node.name
}
