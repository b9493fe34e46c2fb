// ipvsadm argv for each change. Edits (-E, -e) always carry every setting, because ipvsadm
// resets what it is not given: -e without -x/-y zeroes the thresholds, without -w sets weight 1,
// without a forwarding switch falls back to direct routing; -E without -s switches to wlc.
import {
  type RealServer,
  type ServiceRef,
  serverId,
  serviceArgs,
  type TunnelOptions,
  type VirtualService,
} from './model.ts'

/** `-A` (add) or `-E` (edit) of a virtual service with all its settings. */
export function serviceCommand(verb: '-A' | '-E', service: VirtualService): string[] {
  const args = [verb, ...serviceArgs(service.ref), '-s', service.scheduler]
  if (service.persistence !== null) {
    args.push('-p', String(service.persistence))
    if (service.netmask !== null) args.push('-M', service.netmask)
  }
  if (service.pe) args.push('--pe', service.pe)
  if (service.ops) args.push('-o')
  if (service.schedFlags) args.push('-b', service.schedFlags)
  return args
}

/** `-D`: delete a virtual service and its real servers. */
export function deleteServiceCommand(ref: ServiceRef): string[] {
  return ['-D', ...serviceArgs(ref)]
}

/** `-a` (add) or `-e` (edit) of a real server with all its settings. */
export function serverCommand(verb: '-a' | '-e', ref: ServiceRef, server: RealServer): string[] {
  const switchOf = { masq: '-m', route: '-g', tunnel: '-i' }[server.forwarding]
  const args = [verb, ...serviceArgs(ref), '-r', serverId(server), switchOf]
  args.push('-w', String(server.weight))
  if (server.upper !== 0 || server.lower !== 0)
    args.push('-x', String(server.upper), '-y', String(server.lower))
  if (server.forwarding === 'tunnel' && server.tunnel) args.push(...tunnelArgs(server.tunnel))
  return args
}

/** `-d`: delete a real server. */
export function deleteServerCommand(ref: ServiceRef, server: RealServer): string[] {
  return ['-d', ...serviceArgs(ref), '-r', serverId(server)]
}

/** ipip is the default: only the other tunnel types are spelled out. */
function tunnelArgs(tunnel: TunnelOptions): string[] {
  if (tunnel.type === 'ipip') return []
  const args = ['--tun-type', tunnel.type]
  if (tunnel.port !== undefined) args.push('--tun-port', String(tunnel.port))
  if (tunnel.checksum) args.push(`--tun-${tunnel.checksum}`)
  return args
}
