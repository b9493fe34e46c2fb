// @ts-check
// The lab's rgmanager request handlers: what the daemon does with each clusvcadm request.
//
// Each mirrors its counterpart in rgmanager 3.0.12 rg_state.c / rg_thread.c (handle_relocate_req,
// handle_start_req, svc_disable, RG_RESTART, _svc_freeze, svc_migrate) and returns the RG_* code
// the daemon sends back, plus the member that ended up owning the service.
import { candidates, RG, startFails, startOn, stopInto } from './rgmanager.mjs'

/**
 * @typedef {import('./rgmanager.mjs').ClusterView} ClusterView
 * @typedef {import('./rgmanager.mjs').RgService} RgService
 * @typedef {{ ret: number, owner?: string }} Reply
 */

/**
 * Relocate: stop where it runs, start on the preferred member if it is online and allowed, else
 * on the other members in domain order; all failing, restart on the original owner (ERELO).
 * A preferred member that is offline is silently dropped, as rgmanager does.
 * @param {ClusterView} view @param {RgService} svc @param {string | null} target
 * @returns {Reply}
 */
export function relocate(view, svc, target) {
  if (svc.state === 'disabled' || svc.state === 'uninitialized') return { ret: RG.EINVAL }
  const stop = adviseStop(svc, false)
  if (stop !== RG.ESUCCESS) {
    if (stop === RG.EFAIL) stopInto(svc, 'failed')
    return { ret: stop }
  }
  const me = svc.owner ?? view.local
  const allowed = candidates(view, svc)
  const preferred = target && view.members.has(target) ? target : null
  if (svc.state !== 'stopped') stopInto(svc, 'stopped')
  const order = preferred ? [preferred] : []
  for (const node of allowed) if (node !== me && !order.includes(node)) order.push(node)
  for (const node of order) {
    if (!allowed.includes(node) || startFails(svc, node)) continue
    startOn(svc, node)
    return { ret: RG.ESUCCESS, owner: node }
  }
  if (allowed.includes(me) && !startFails(svc, me)) {
    startOn(svc, me)
    return { ret: RG.ERELO, owner: me }
  }
  return { ret: RG.EFAIL }
}

/**
 * Enable: start on the requested member (or the local one); a member that cannot start it hands
 * it on in domain order (START_RECOVER); already running → ERUN, which clusvcadm reports as 0.
 * @param {ClusterView} view @param {RgService} svc @param {string | null} target
 * @returns {Reply}
 */
export function enable(view, svc, target) {
  if (target && !view.members.has(target)) return { ret: RG.ENODE }
  const start = adviseStart(view, svc)
  if (start !== RG.ESUCCESS) return { ret: start }
  const here = target ?? view.local
  const allowed = candidates(view, svc)
  if (!allowed.includes(here)) return { ret: RG.EFAIL }
  for (const node of [here, ...allowed.filter((n) => n !== here)]) {
    if (startFails(svc, node)) continue
    startOn(svc, node)
    return { ret: RG.ESUCCESS, owner: node }
  }
  stopInto(svc, 'stopped')
  return { ret: RG.EFAIL }
}

/** Disable: stop and mark disabled; only a frozen service refuses. @param {RgService} svc */
export function disable(svc) {
  const stop = adviseStop(svc, true)
  if (stop !== RG.ESUCCESS) return { ret: stop }
  stopInto(svc, 'disabled')
  return { ret: RG.ESUCCESS }
}

/**
 * Restart in place (on the owner, or locally when stopped); a disabled service ends in EINVAL
 * through handle_start_req's relocation path, as in rgmanager.
 * @param {ClusterView} view @param {RgService} svc
 * @returns {Reply}
 */
export function restart(view, svc) {
  const stop = adviseStop(svc, false)
  if (stop !== RG.ESUCCESS) return { ret: stop }
  if (svc.state === 'disabled' || svc.state === 'uninitialized') return { ret: RG.EINVAL }
  const here = svc.owner ?? view.local
  const allowed = candidates(view, svc)
  for (const node of [here, ...allowed.filter((n) => n !== here)]) {
    if (!allowed.includes(node) || startFails(svc, node)) continue
    startOn(svc, node)
    return { ret: RG.ESUCCESS, owner: node }
  }
  stopInto(svc, 'stopped')
  return { ret: RG.EFAIL }
}

/** Freeze or thaw: allowed in stopped, started and disabled only. @param {RgService} svc @param {boolean} on */
export function freeze(svc, on) {
  if (!['stopped', 'started', 'disabled'].includes(svc.state)) return { ret: RG.EAGAIN }
  const rest = svc.flags.filter((f) => f !== 'frozen')
  svc.flags = on ? ['frozen', ...rest] : rest
  return { ret: RG.ESUCCESS }
}

/**
 * Migrate (vm: services only): the guest moves while running; a failed migration leaves it on
 * the source (vm.sh's 150 → ERELO).
 * @param {ClusterView} view @param {string} name @param {RgService} svc @param {string} target
 * @returns {Reply}
 */
export function migrate(view, name, svc, target) {
  if (!name.startsWith('vm:')) return { ret: RG.EINVAL }
  if (!view.members.has(target)) return { ret: RG.ENODE }
  if (svc.owner === target) return { ret: RG.ESUCCESS, owner: target }
  if (['starting', 'stopping', 'recovering', 'migrating', 'recoverable'].includes(svc.state))
    return { ret: RG.EAGAIN }
  if (svc.state !== 'started') return { ret: RG.EFAIL }
  if (svc.flags.includes('frozen')) return { ret: RG.EFROZEN }
  if (startFails(svc, target)) return { ret: RG.ERELO, owner: svc.owner ?? undefined }
  startOn(svc, target)
  return { ret: RG.ESUCCESS, owner: target }
}

/**
 * svc_advise_stop(): may this request stop the service? Failed and recoverable services only
 * stop for a disable.
 * @param {RgService} svc @param {boolean} disabling
 */
function adviseStop(svc, disabling) {
  if (svc.flags.includes('frozen')) return RG.EFROZEN
  if ((svc.state === 'failed' || svc.state === 'recoverable') && !disabling) return RG.EFAIL
  return RG.ESUCCESS
}

/**
 * svc_advise_start(): frozen refuses, failed cannot start, running on a member is ERUN.
 * @param {ClusterView} view @param {RgService} svc
 */
function adviseStart(view, svc) {
  if (svc.flags.includes('frozen')) return RG.EFROZEN
  if (svc.state === 'failed') return RG.EFAIL
  if (svc.state === 'migrating') return RG.ERUN
  if (['started', 'starting', 'stopping', 'checking'].includes(svc.state)) {
    if (svc.owner && view.members.has(svc.owner)) return RG.ERUN
  }
  return RG.ESUCCESS
}
