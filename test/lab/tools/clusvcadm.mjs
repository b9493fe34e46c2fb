// @ts-check
// Lab clusvcadm: the cluster service admin utility of rgmanager 3.0.12, acting on the lab world.
//
// Messages, their order and the exit codes follow rgmanager/src/utils/clusvcadm.c (3.0.12):
// "Trying to relocate service:web to node2..." then rg_strerror() of the daemon's reply; the
// reply code is the exit status (so RG_EQUORUM, -9, exits 247); RG_ERUN exits 0; success of a
// relocate/enable adds "<svc> is now running on <node>" ("Warning: " when not where asked).
// Member names resolve against every configured node (cman_get_nodes), then find_closest_node().
import { getopt } from '../getopt.mjs'
import { clusterView, qualify, RELEASE_VERSION, RG, RG_MESSAGES, settle } from '../rgmanager.mjs'
import { disable, enable, freeze, migrate, relocate, restart } from '../rgmanager-requests.mjs'
import { updateWorld } from '../world.mjs'

/** @typedef {import('../rgmanager.mjs').ClusterView} ClusterView */

const prog = process.argv[1] ?? 'clusvcadm'
const ACTIONS = /** @type {const} */ ({
  e: 'trying to enable',
  d: 'disabling',
  r: 'relocate',
  M: 'migrate',
  R: 'trying to restart',
  Z: 'freezing',
  U: 'unfreezing',
})

process.exitCode = main()

function main() {
  const { opts } = getopt(process.argv.slice(2), 'lSue:M:d:r:n:c:m:FvR:s:Z:U:qh?', prog)
  /** @type {keyof typeof ACTIONS | undefined} */ let action
  let svcname = ''
  /** @type {string | undefined} */ let nodename
  let quiet = false
  for (const { opt, arg = '' } of opts) {
    if (opt in ACTIONS) {
      action = /** @type {keyof typeof ACTIONS} */ (opt)
      svcname = arg
    } else if (opt === 'm' || opt === 'n') nodename = arg
    else if (opt === 'q') quiet = true
    else if (opt === 'v') return print(`${RELEASE_VERSION}\n`, false)
    else if ('lSusc'.includes(opt)) {
      process.stderr.write(`lab clusvcadm: -${opt} is not simulated\n`)
      return 2
    } else if (opt !== 'F') return print(usage(), false, 1)
  }
  if (!action || !svcname) return print(usage(), false, 1)
  if (action === 'M' && nodename === undefined)
    return print('Migration requires a target cluster member\n', quiet, 1)
  return updateWorld((world) => {
    const view = clusterView(world)
    if (!view.localUp) return print('Could not connect to cluster service\n', quiet, 1)
    settle(view)
    return request(view, action, qualify(svcname), nodename, quiet)
  })
}

/**
 * @param {ClusterView} view
 * @param {keyof typeof ACTIONS} action
 * @param {string} svcname
 * @param {string | undefined} asked
 * @param {boolean} quiet
 */
function request(view, action, svcname, asked, quiet) {
  let text = ''
  let target = null
  if (asked !== undefined) {
    const lower = asked.toLowerCase()
    const found = view.nodes.find((n) => n.name.toLowerCase() === lower)
    target = found?.name ?? null
    if (!found) {
      text += `'${asked}' not in membership list\n`
      const closest = closestNode(view, asked)
      text += closest.message
      if (!closest.name) return print(text, quiet, 1)
      target = closest.name
      asked = closest.name
    }
    if (action === 'M' && !view.members.has(target ?? ''))
      return print(`${text}'${asked}' is offline\n`, quiet, 1)
  }
  const verb = ACTIONS[action]
  if (action === 'r' || action === 'M')
    text += asked ? `Trying to ${verb} ${svcname} to ${asked}` : `Trying to ${verb} ${svcname}`
  else text += asked ? `Member ${asked} ${verb} ${svcname}` : `Local machine ${verb} ${svcname}`
  text += '...'
  const reply = dispatch(view, action, svcname, target)
  text += `${RG_MESSAGES[reply.ret] ?? 'Unknown'}\n`
  if (reply.ret === RG.ERUN) return print(text, quiet, 0)
  if (reply.ret !== RG.ESUCCESS) return print(text, quiet, reply.ret & 0xff)
  if ((action === 'r' || action === 'e') && reply.owner) {
    const warn = asked !== undefined && reply.owner !== target ? 'Warning: ' : ''
    text += `${warn}${svcname} is now running on ${reply.owner}\n`
  }
  return print(text, quiet, 0)
}

/**
 * What the daemon answers: quorum first (event_loop drops the request with RG_EQUORUM), then
 * "no such service", then the request itself.
 * @param {ClusterView} view
 * @param {keyof typeof ACTIONS} action
 * @param {string} name
 * @param {string | null} target
 * @returns {{ ret: number, owner?: string }}
 */
function dispatch(view, action, name, target) {
  if (!view.quorate) return { ret: RG.EQUORUM }
  const svc = view.section.services[name]
  if (!svc) return { ret: RG.ENOSERVICE }
  // A service whose member left starts nowhere until fenced has fenced that member (rgmanager
  // waits for the fence domain; clusvcadm says "Fencing operation pending; try again later").
  const left = svc.owner ?? svc.last_owner
  if (['r', 'e', 'R', 'M'].includes(action) && left && view.unfenced.has(left))
    return { ret: RG.EFENCE }
  if (action === 'r') return relocate(view, svc, target)
  if (action === 'e') return enable(view, svc, target)
  if (action === 'd') return disable(svc)
  if (action === 'R') return restart(view, svc)
  if (action === 'Z' || action === 'U') return freeze(svc, action === 'Z')
  return migrate(view, name, svc, target ?? '')
}

/**
 * find_closest_node(): the configured node sharing the longest prefix; a tie with the previous
 * best (as the C loop tracks it) is ambiguous.
 * @param {ClusterView} view @param {string} name
 */
function closestNode(view, name) {
  let best = 0
  let next = 0
  let pick = 0
  view.nodes.forEach((node, x) => {
    let cur = 0
    while (cur < node.name.length && cur < name.length && node.name[cur] === name[cur]) cur++
    if (cur && cur >= best) {
      next = best
      best = cur
      pick = x
    }
  })
  if (!best) return { message: `No matches for '${name}' found\n` }
  if (next === best) return { message: `More than one possible match for '${name}' found\n` }
  const chosen = view.nodes[pick]?.name ?? ''
  return { message: `Closest match: '${chosen}'\n`, name: chosen }
}

/** @param {string} text @param {boolean} quiet @param {number} [code] */
function print(text, quiet, code = 0) {
  if (!quiet) process.stdout.write(text)
  return code
}

function usage() {
  const name = prog.split('/').pop()
  return `usage: ${name} [command]

Resource Group Control Commands:
  -v                     Display version and exit
  -d <group>             Disable <group>.  This stops a group
                         until an administrator enables it again,
                         the cluster loses and regains quorum, or
                         an administrator-defined event script
                         explicitly enables it again.
  -e <group>             Enable <group>
  -e <group> -F          Enable <group> according to failover
                         domain rules (deprecated; always the
                         case when using central processing)
  -e <group> -m <member> Enable <group> on <member>
  -r <group> -m <member> Relocate <group> [to <member>]
                         Stops a group and starts it on another
                         cluster member.
  -M <group> -m <member> Migrate <group> to <member>
                         (e.g. for live migration of VMs)
  -q                     Quiet operation
  -R <group>             Restart a group in place.
  -s <group>             Stop <group>.  This temporarily stops
                         a group.  After the next group or
                         or cluster member transition, the group
                         will be restarted (if possible).
  -Z <group>             Freeze resource group.  This prevents
                         transitions and status checks, and is 
                         useful if an administrator needs to 
                         administer part of a service without 
                         stopping the whole service.
  -U <group>             Unfreeze (thaw) resource group.  Restores
                         a group to normal operation.
  -c <group>             Convalesce (repair, fix) resource group.
                         Attempts to start failed, non-critical 
                         resources within a resource group.
Resource Group Locking (for cluster Shutdown / Debugging):
  -l                     Lock local resource group managers.
                         This prevents resource groups from
                         starting.
  -S                     Show lock state
  -u                     Unlock resource group managers.
                         This allows resource groups to start.
`
}
