// Walks the route tree for a set of labels: which receivers hear about it, grouped how, on which timers.
import type { Route, Routes } from '../inventory/index.ts'
import { matchesAll } from '../inventory/index.ts'

/** One route that matched, with every inherited setting resolved. */
export interface RouteMatch {
  /** Path in the tree: `0` is the root, `0.2.1` its third child's second child. */
  id: string
  receiver: string
  groupBy: string[]
  groupWaitMs: number
  groupIntervalMs: number
  repeatIntervalMs: number
  sendResolved: boolean
}

/**
 * The routes an alert with `labels` takes, Alertmanager-style: depth first, the deepest matching
 * route wins, siblings after a match are skipped unless it says `continue: true`.
 *
 * @example
 * matchRoutes(config.routes, { severity: 'critical', node: 'node2' }).map((r) => r.receiver)
 */
export function matchRoutes(routes: Routes, labels: Record<string, string>): RouteMatch[] {
  return walk(routes.routes, rootSettings(routes), labels)
}

/** The settings of the route at `id` (timers of a stored group); the root when it no longer exists. */
export function routeById(routes: Routes, id: string): RouteMatch {
  let settings = rootSettings(routes)
  let children = routes.routes
  for (const index of id.split('.').slice(1)) {
    const child = children[Number(index)]
    if (!child) return rootSettings(routes)
    settings = inherit(settings, child, `${settings.id}.${index}`)
    children = child.routes
  }
  return settings
}

/** The labels a group is formed on: `group_by` picks them; `...` means every label. */
export function groupLabelsOf(
  route: RouteMatch,
  labels: Record<string, string>,
): Record<string, string> {
  if (route.groupBy.includes('...')) return sortedLabels(labels)
  const out: Record<string, string> = {}
  for (const name of [...route.groupBy].sort()) out[name] = labels[name] ?? ''
  return out
}

/** Stable group key: route, receiver and the grouping labels. */
export function groupKeyOf(route: RouteMatch, groupLabels: Record<string, string>): string {
  return `${route.id}/${route.receiver}/${JSON.stringify(sortedLabels(groupLabels))}`
}

function walk(children: Route[], parent: RouteMatch, labels: Record<string, string>): RouteMatch[] {
  const found: RouteMatch[] = []
  for (const [i, child] of children.entries()) {
    if (!matchesAll(labels, child.matchers)) continue
    const settings = inherit(parent, child, `${parent.id}.${i}`)
    found.push(...walk(child.routes, settings, labels))
    if (!child.continue) break
  }
  return found.length > 0 ? found : [parent]
}

function rootSettings(routes: Routes): RouteMatch {
  return {
    id: '0',
    receiver: routes.receiver,
    groupBy: routes.group_by,
    groupWaitMs: routes.group_wait,
    groupIntervalMs: routes.group_interval,
    repeatIntervalMs: routes.repeat_interval,
    sendResolved: routes.send_resolved,
  }
}

function inherit(parent: RouteMatch, route: Route, id: string): RouteMatch {
  return {
    id,
    receiver: route.receiver ?? parent.receiver,
    groupBy: route.group_by ?? parent.groupBy,
    groupWaitMs: route.group_wait ?? parent.groupWaitMs,
    groupIntervalMs: route.group_interval ?? parent.groupIntervalMs,
    repeatIntervalMs: route.repeat_interval ?? parent.repeatIntervalMs,
    sendResolved: route.send_resolved ?? parent.sendResolved,
  }
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))
}
