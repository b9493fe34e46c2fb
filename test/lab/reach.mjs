// @ts-check
// How lab tools reach a node of the world: lookup by name or address, and OpenSSH's own failures.

/**
 * @typedef {import('./world.mjs').World} World
 * @typedef {import('./world.mjs').LabNode} LabNode
 */

/**
 * The world node a host name or address refers to (`user@` is ignored), or undefined.
 * @param {World} world
 * @param {string} host
 * @returns {[string, LabNode] | undefined}
 */
export function findNode(world, host) {
  const bare = host.includes('@') ? host.slice(host.lastIndexOf('@') + 1) : host
  const nodes = Object.entries(world.nodes ?? {})
  return nodes.find(([name]) => name === bare) ?? nodes.find(([, node]) => node.address === bare)
}

/**
 * True when the node runs and the network reaches it.
 * @param {LabNode | undefined} node
 */
export function reachable(node) {
  return !!node && node.up !== false && node.power !== 'off' && !node.partitioned
}

/**
 * The line OpenSSH 9 prints (without its "\r\n") when it cannot reach `host`, or undefined when
 * it can. A powered-off or partitioned machine gives "No route to host"; a machine that is on
 * but down (crashed services, no sshd) refuses the connection.
 * @param {World} world
 * @param {string} host as the user typed it (OpenSSH prints it back unchanged)
 * @param {number | string} [port]
 */
export function sshFailure(world, host, port = 22) {
  const bare = host.includes('@') ? host.slice(host.lastIndexOf('@') + 1) : host
  const found = findNode(world, bare)
  if (!found) return `ssh: Could not resolve hostname ${bare}: Name or service not known`
  const [, node] = found
  if (reachable(node)) return undefined
  const why = node.power === 'off' || node.partitioned ? 'No route to host' : 'Connection refused'
  return `ssh: connect to host ${bare} port ${port}: ${why}`
}
