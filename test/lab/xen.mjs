// @ts-check
// The lab's Xen hosts and guests (world section `xen`), shared by the xl, xm and virsh simulators.
//
// xen.hosts[<node>]   { memory (MiB), dom0 (MiB, 0 hides Domain-0 from virsh), cpus, mhz, model }
// xen.domains[<name>] { host, state: running|blocked|paused|shutoff, memory (MiB), vcpus, id,
//                       cfg, uuid?, startedAt, defined? (hosts whose libvirt knows it; all) }
// xen.migrateMs       how long a migration takes (default 0)
// xen.violations      what a real cluster must never see (a guest started twice); the older
//                     instance stays in the world as one of the guest's `twins` until destroyed
//
// A guest lives only while its host runs: a host that is down or powered off takes its guests
// with it, and a host that booted after a guest started no longer has it.
import { createHash } from 'node:crypto'
import { sleepSync } from './fence-agent.mjs'
import { reachable } from './reach.mjs'
import { currentNode, readWorld, updateWorld } from './world.mjs'

/**
 * @typedef {import('./world.mjs').World} World
 * @typedef {{ memory: number, dom0?: number, cpus?: number, mhz?: number, model?: string }} XenHost
 * @typedef {{ host: string, state: string, memory: number, vcpus?: number, id?: number,
 *   cfg?: string, uuid?: string, startedAt?: number, defined?: string[], reason?: string,
 *   twins?: XenDomain[] }} XenDomain
 * @typedef {{ hosts: Record<string, XenHost>, domains: Record<string, XenDomain>, nextId?: number,
 *   migrateMs?: number, violations?: unknown[], migrating?: number, maxMigrating?: number }} XenWorld
 */

/** @param {World} world @returns {XenWorld} */
export function xenOf(world) {
  world.xen ??= {}
  const xen = /** @type {XenWorld} */ (world.xen)
  xen.hosts ??= {}
  xen.domains ??= {}
  return xen
}

/**
 * The Xen host this tool runs on, or undefined when it is not running on one (no dom0 here).
 * @param {World} world
 */
export function localHost(world) {
  const node = currentNode()
  return node && xenOf(world).hosts[node] ? node : undefined
}

/**
 * Is the guest running on `host` right now?
 * @param {World} world @param {XenDomain} dom @param {string} host
 */
export function runsOn(world, dom, host) {
  return alive(world, dom, host) || (dom.twins ?? []).some((twin) => alive(world, twin, host))
}

/** The instance of a guest that runs on `host` (itself or a twin), if any. @param {World} world @param {XenDomain} dom @param {string} host */
export function instanceOn(world, dom, host) {
  return [dom, ...(dom.twins ?? [])].find((d) => alive(world, d, host))
}

/** @param {World} world @param {XenDomain} dom @param {string} host */
function alive(world, dom, host) {
  if (dom.host !== host || dom.state === 'shutoff') return false
  const node = world.nodes[host]
  // Partitioned hosts keep their guests; dead or power-cycled ones do not.
  if (!node || node.up === false || node.power === 'off') return false
  const bootedAt = node.bootedAt ?? 0
  return (dom.startedAt ?? 0) >= bootedAt
}

/**
 * Guests running on `host`, by domain id.
 * @param {World} world @param {string} host
 * @returns {[string, XenDomain][]}
 */
export function guestsOn(world, host) {
  return Object.entries(xenOf(world).domains)
    .flatMap(([name, dom]) => {
      const here = instanceOn(world, dom, host)
      return here ? [/** @type {[string, XenDomain]} */ ([name, here])] : []
    })
    .sort(([, a], [, b]) => (a.id ?? 0) - (b.id ?? 0))
}

/** Free memory of `host` in MiB: total minus dom0 minus running guests. @param {World} world @param {string} host */
export function freeMemory(world, host) {
  const spec = xenOf(world).hosts[host]
  if (!spec) return 0
  const used = guestsOn(world, host).reduce((sum, [, dom]) => sum + dom.memory, 0)
  return spec.memory - (spec.dom0 ?? 0) - used
}

/**
 * Starts (or receives) a guest on `host`; a guest already running elsewhere is recorded as a
 * violation, because a real cluster cannot tell and would now run it twice.
 * @param {World} world @param {string} name @param {string} host @param {string} how
 */
export function startOn(world, name, host, how) {
  const xen = xenOf(world)
  const dom = /** @type {XenDomain} */ (xen.domains[name])
  const elsewhere = Object.keys(xen.hosts).filter((h) => h !== host && runsOn(world, dom, h))
  if (elsewhere.length > 0 && how !== 'migrated') {
    xen.violations ??= []
    xen.violations.push({
      type: 'started twice',
      domain: name,
      running: elsewhere,
      startedOn: host,
      at: Date.now(),
    })
    const { twins: _, ...older } = dom
    dom.twins = [...(dom.twins ?? []), older]
  }
  xen.nextId ??= 1
  Object.assign(dom, {
    host,
    state: 'running',
    id: xen.nextId++,
    startedAt: Date.now(),
    reason: how,
  })
  return dom
}

/** A stable UUID per guest name (a real toolstack keeps it in the guest's config). @param {string} name */
export function uuidOf(name) {
  const h = createHash('sha1').update(name).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** CPU seconds a guest has used (plausible, growing). @param {XenDomain} dom */
export function cpuSeconds(dom) {
  return Math.max(0, (Date.now() - (dom.startedAt ?? Date.now())) / 1000) * 0.05 + 1.3
}

/** xl/xm state flags: r(unning) b(locked) p(aused) s(hutdown) c(rashed) d(ying). @param {XenDomain} dom */
export function stateFlags(dom) {
  if (dom.state === 'paused') return '--p---'
  if (dom.state === 'blocked') return '-b----'
  return 'r-----'
}

/**
 * Is `node` a live machine this tool could reach (for migration targets)?
 * @param {World} world @param {string} node
 */
export function hostReachable(world, node) {
  return reachable(world.nodes[node])
}

/**
 * Moves a running guest to `host` the way a live migration does: it takes `xen.migrateMs`,
 * during which the lab counts migrations in flight (`xen.maxMigrating` keeps the peak).
 * @param {string} name @param {string} host
 */
export function migrateGuest(name, host) {
  updateWorld((world) => {
    const xen = xenOf(world)
    xen.migrating = (xen.migrating ?? 0) + 1
    xen.maxMigrating = Math.max(xen.maxMigrating ?? 0, xen.migrating)
  })
  sleepSync(xenOf(readWorld()).migrateMs ?? 0)
  updateWorld((world) => {
    const xen = xenOf(world)
    xen.migrating = Math.max(0, (xen.migrating ?? 1) - 1)
    startOn(world, name, host, 'migrated')
  })
}

/**
 * Stops the instance of a guest running on `host` (a twin, or the guest itself).
 * @param {World} world @param {string} name @param {string} host
 */
export function stopOn(world, name, host) {
  const dom = xenOf(world).domains[name]
  if (!dom) return
  const twin = (dom.twins ?? []).find((t) => alive(world, t, host))
  if (twin) dom.twins = (dom.twins ?? []).filter((t) => t !== twin)
  else Object.assign(dom, { state: 'shutoff', reason: 'destroyed' })
}
