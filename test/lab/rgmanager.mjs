// @ts-check
// The lab's rgmanager: cman membership, quorum and the service state machine behind clustat and clusvcadm.
//
// Semantics follow the Red Hat cluster 3.0.12 sources (rgmanager/src/daemons/rg_state.c,
// rg_thread.c, main.c, clulib/rg_strings.c and include/resgroup.h, as shipped by Debian's
// redhat-cluster package): state codes 110..120, return codes -1..-19 with rg_strerror()'s
// words, the stop/start "advise" rules, relocation to a preferred member first and then to the
// others in failover-domain order. Simplifications (documented, not hidden): requests are
// processed synchronously; -s/-c/-l/-u/-S of clusvcadm are not simulated.
import { currentNode } from './world.mjs'

/** rgmanager's state codes (resgroup.h) by the names rg_state_str() prints. */
export const STATE_CODES = /** @type {const} */ ({
  stopped: 110,
  starting: 111,
  started: 112,
  stopping: 113,
  failed: 114,
  uninitialized: 115,
  checking: 116,
  recoverable: 117,
  recovering: 118,
  disabled: 119,
  migrating: 120,
})

/** Return codes of resgroup.h and the words of rg_strerror() (clulib/rg_strings.c). */
export const RG = /** @type {const} */ ({
  ERELO: -17,
  EFENCE: -13,
  ENODE: -12,
  EFROZEN: -11,
  ERUN: -10,
  EQUORUM: -9,
  EINVAL: -8,
  EAGAIN: -6,
  ENOSERVICE: -4,
  EFAIL: -1,
  ESUCCESS: 0,
})

/** @type {Record<number, string>} */
export const RG_MESSAGES = {
  [-19]: 'Warning; see system logs',
  [-18]: 'Permission denied',
  [-17]: 'Failed; service running on original owner',
  [-16]: 'Service not runnable: cannot run exclusive',
  [-15]: 'Service not runnable',
  [-14]: 'S/Lang Script Error',
  [-13]: 'Fencing operation pending; try again later',
  [-12]: 'Target node dead / nonexistent',
  [-10]: 'Service is already running',
  [-9]: 'Operation requires quorum',
  [-8]: 'Invalid operation for resource',
  [-7]: 'Operation violates dependency rule',
  [-6]: 'Temporary failure; try again',
  [-5]: 'Operation would cause a deadlock',
  [-4]: 'Service does not exist',
  [-3]: 'Service not mastered locally',
  [-2]: 'Aborted; service failed',
  [-11]: 'Failure: Service is frozen',
  [-1]: 'Failure',
  0: 'Success',
}

export const RELEASE_VERSION = '3.0.12'

/**
 * @typedef {keyof typeof STATE_CODES} StateName
 * @typedef {{ name: string, nodeid: number, votes?: number }} RgNode
 * @typedef {{
 *   state: StateName, owner: string | null, last_owner: string | null,
 *   flags: ('frozen' | 'partial')[], restarts: number, last_transition: number,
 *   domain?: string[], restricted?: boolean, fail_start_on?: string[]
 * }} RgService
 * @typedef {{
 *   cluster: { name: string, id: number, generation: number },
 *   nodes: RgNode[], services: Record<string, RgService>, local?: string,
 *   expected_votes?: number, seen_members?: string
 * }} RgSection
 * @typedef {{ name: string, nodeid: number, online: boolean, local: boolean }} ViewNode
 * @typedef {{ section: RgSection, local: string, localUp: boolean, nodes: ViewNode[],
 *   members: Set<string>, quorate: boolean, unfenced: Set<string> }} ClusterView
 */

/**
 * A fresh rgmanager section: `services` maps a name (`db`, `service:db`, `vm:guest1`) to where it
 * runs now; everything else starts as rgmanager would leave it after a clean start.
 * @param {{ cluster?: string, nodes: string[], services?: Record<string, Partial<RgService>> }} seed
 * @returns {RgSection}
 */
export function seedRgmanager(seed) {
  const now = Math.floor(Date.now() / 1000)
  /** @type {Record<string, RgService>} */
  const services = {}
  for (const [name, svc] of Object.entries(seed.services ?? {})) {
    services[qualify(name)] = {
      state: svc.state ?? (svc.owner ? 'started' : 'stopped'),
      owner: svc.owner ?? null,
      last_owner: svc.last_owner ?? null,
      flags: svc.flags ?? [],
      restarts: svc.restarts ?? 0,
      last_transition: svc.last_transition ?? now,
      ...(svc.domain ? { domain: svc.domain } : {}),
      ...(svc.restricted ? { restricted: true } : {}),
      ...(svc.fail_start_on ? { fail_start_on: svc.fail_start_on } : {}),
    }
  }
  return {
    cluster: { name: seed.cluster ?? 'demo', id: 4242, generation: 8 },
    nodes: seed.nodes.map((name, i) => ({ name, nodeid: i + 1 })),
    services,
    // The cluster formed with every node; cman bumps the generation on each change from here.
    seen_members: [...seed.nodes].sort().join(','),
  }
}

/** `db` → `service:db`, as clusvcadm and clustat -s do for names without a type. @param {string} name */
export function qualify(name) {
  return name.includes(':') ? name : `service:${name}`
}

/**
 * What cman shows from the node the tool runs on: a node is a member when it is up and on the
 * same side of any partition; quorum is a strict majority of the expected votes.
 * @param {import('./world.mjs').World} world
 * @returns {ClusterView}
 */
export function clusterView(world) {
  const section = /** @type {RgSection | undefined} */ (world.rgmanager)
  if (!section) throw new Error('lab world has no rgmanager section')
  const local = currentNode() ?? section.local ?? section.nodes[0]?.name ?? ''
  const alive = (/** @type {string} */ name) => {
    const node = world.nodes[name]
    return !node || (node.up !== false && node.power !== 'off')
  }
  const cut = (/** @type {string} */ name) => world.nodes[name]?.partitioned === true
  const localCut = cut(local)
  const members = new Set(
    section.nodes
      .filter((n) => alive(n.name) && (localCut ? n.name === local : !cut(n.name)))
      .map((n) => n.name),
  )
  const votes = (/** @type {RgNode} */ n) => n.votes ?? 1
  const expected = section.expected_votes ?? section.nodes.reduce((sum, n) => sum + votes(n), 0)
  const have = section.nodes.filter((n) => members.has(n.name)).reduce((s, n) => s + votes(n), 0)
  const nodes = [...section.nodes]
    .sort((a, b) => a.nodeid - b.nodeid)
    .map((n) => ({
      name: n.name,
      nodeid: n.nodeid,
      online: members.has(n.name),
      local: n.name === local,
    }))
  // fenced waits for the fence of every node that left: powered off, or cut off its storage.
  const gnbd = /** @type {{ gnbd?: Record<string, string[]> } | undefined} */ (world.fence)?.gnbd
  const cutOff = (/** @type {string} */ name) =>
    Object.values(gnbd ?? {}).some((victims) => victims.includes(name))
  const unfenced = new Set(
    section.nodes
      .filter((n) => !members.has(n.name) && world.nodes[n.name]?.power !== 'off')
      .filter((n) => !cutOff(n.name))
      .map((n) => n.name),
  )
  return {
    section,
    local,
    localUp: alive(local),
    nodes,
    members,
    unfenced,
    quorate: have >= Math.floor(expected / 2) + 1,
  }
}

/**
 * What surviving members do when a member leaves: services it ran are stopped for recovery
 * (owner none, last owner kept, `_svc_stop_finish`); frozen services are left alone because
 * freezing forbids failover. Nothing changes in an inquorate partition (rgmanager is stopped
 * there). Returns true when the section changed.
 * @param {ClusterView} view
 */
export function settle(view) {
  const { section } = view
  let changed = false
  const seen = [...view.members].sort().join(',')
  if (section.seen_members !== seen) {
    if (section.seen_members !== undefined) section.cluster.generation += 4
    section.seen_members = seen
    changed = true
  }
  if (!view.quorate) return changed
  for (const svc of Object.values(section.services)) {
    if (!svc.owner || view.members.has(svc.owner) || svc.flags.includes('frozen')) continue
    if (!['started', 'starting', 'stopping', 'recovering', 'migrating'].includes(svc.state))
      continue
    stopInto(svc, 'stopped')
    changed = true
  }
  return changed
}

/** ctime(3) without the newline, in local time: `Wed Nov  4 14:04:47 2026`. @param {number} epoch */
export function ctime(epoch) {
  const d = new Date(epoch * 1000)
  const day = 'Sun Mon Tue Wed Thu Fri Sat'.split(' ')[d.getDay()]
  const mon = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ')[d.getMonth()]
  const two = (/** @type {number} */ n) => String(n).padStart(2, '0')
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  return `${day} ${mon}${String(d.getDate()).padStart(3, ' ')} ${time} ${d.getFullYear()}`
}

/** @param {RgService} svc @param {StateName} state */
export function stopInto(svc, state) {
  if (svc.owner) svc.last_owner = svc.owner
  svc.owner = null
  svc.state = state
  svc.last_transition = Math.floor(Date.now() / 1000)
}

/** @param {RgService} svc @param {string} node */
export function startOn(svc, node) {
  if (svc.owner && svc.owner !== node) svc.last_owner = svc.owner
  svc.owner = node
  svc.state = 'started'
  svc.last_transition = Math.floor(Date.now() / 1000)
}

/**
 * Members allowed to run `svc`, in failover-domain order (ordered domain first, then the other
 * members by node id unless the domain is restricted), as best_target_node() walks them.
 * @param {ClusterView} view @param {RgService} svc
 */
export function candidates(view, svc) {
  const online = view.nodes.filter((n) => n.online).map((n) => n.name)
  const domain = (svc.domain ?? []).filter((n) => online.includes(n))
  if (svc.restricted) return domain
  return [...domain, ...online.filter((n) => !domain.includes(n))]
}

/** @param {RgService} svc @param {string} node */
export function startFails(svc, node) {
  return (svc.fail_start_on ?? []).includes(node)
}
