// @ts-check
// The simulated IPVS tables in the lab world (section `ipvs`): one table per director node, keyed
// by the node the tool runs on (TANDEM_LAB_NODE, set by the lab ssh) or `local` without one.
import { currentNode, readWorld, updateWorld } from '../world.mjs'
import { emptyTable } from './kernel.mjs'

/**
 * @typedef {import('./kernel.mjs').Table} Table
 * @typedef {import('../world.mjs').World} World
 * @typedef {{ tables: Record<string, Table> }} IpvsSection
 */

/** Which table a tool invocation sees. */
export function tableName(node = currentNode()) {
  return node ?? 'local'
}

/**
 * The node's table inside `world`, created (as a freshly loaded ip_vs) when missing.
 * Connections past their expiry are dropped, as the kernel's timers would have.
 * @param {World} world @param {string} [node] @returns {Table}
 */
export function tableIn(world, node = tableName(), now = Date.now()) {
  const section = /** @type {IpvsSection} */ (world.ipvs ?? { tables: {} })
  world.ipvs = section
  section.tables ??= {}
  const table = section.tables[node] ?? emptyTable()
  section.tables[node] = table
  table.conns = table.conns.filter((c) => c.expiresAt > now)
  return table
}

/** A snapshot of the node's table (no lock: the tool only reads). */
export function readTable(node = tableName()) {
  return tableIn(readWorld(), node)
}

/**
 * Changes the node's table under the world lock.
 * @template T
 * @param {(table: Table) => T} change
 * @param {string} [node]
 */
export function updateTable(change, node = tableName()) {
  return updateWorld((world) => change(tableIn(world, node)))
}
