// The hypervisors: which ones answer, what they run, where a guest is, where a guest fits.
import { type PluginContext, PluginError } from '../../core/plugin/index.ts'
import type { Toolstack, XenConfig } from './config.ts'
import { type DomainRow, isAlive } from './parse.ts'
import { freeMemoryMiB, listGuests } from './toolstack.ts'

type Ctx = PluginContext<XenConfig>

export interface HostView {
  host: string
  reachable: boolean
  guests: DomainRow[]
  /** Why the host did not answer. */
  error?: string
}

/** Nodes that may run guests: the `hypervisor` role, and every guest's declared home. */
export function hypervisors(ctx: Ctx): string[] {
  const { nodes, vms } = ctx.inventory.config
  const names = nodes.filter((n) => n.roles.includes('hypervisor')).map((n) => n.name)
  for (const vm of vms) if (!names.includes(vm.host)) names.push(vm.host)
  return names
}

export function toolstackOf(ctx: Ctx, vm: string): Toolstack {
  return ctx.inventory.vm(vm)?.toolstack ?? ctx.config.toolstack
}

/** Lists every host at once; a host whose ssh fails is unreachable, any other failure throws. */
export async function survey(
  ctx: Ctx,
  toolstack: Toolstack,
  hosts = hypervisors(ctx),
): Promise<HostView[]> {
  return Promise.all(
    hosts.map(async (host) => {
      try {
        return { host, reachable: true, guests: await listGuests(ctx, toolstack, host) }
      } catch (error) {
        if (error instanceof PluginError && error.kind === 'HOST_UNREACHABLE')
          return { host, reachable: false, guests: [], error: error.toolMessage }
        throw error
      }
    }),
  )
}

/** Hosts (among those that answered) where the guest is alive; more than one is a split brain. */
export function whereAlive(views: HostView[], vm: string): string[] {
  return views
    .filter((v) => v.guests.some((g) => g.name === vm && isAlive(g.state)))
    .map((v) => v.host)
}

/** The single host running `vm`, or a typed error (not running, or running twice). */
export async function locate(
  ctx: Ctx,
  vm: string,
): Promise<{ host: string; guest: DomainRow; views: HostView[] }> {
  const views = await survey(ctx, toolstackOf(ctx, vm))
  const hosts = whereAlive(views, vm)
  if (hosts.length > 1)
    throw new PluginError(
      'xen',
      'RUNNING_TWICE',
      `${vm} is running on ${hosts.join(' and ')}: refusing to touch it`,
    )
  const host = hosts[0]
  const guest = views.find((v) => v.host === host)?.guests.find((g) => g.name === vm)
  if (!host || !guest) {
    const dark = views.filter((v) => !v.reachable).map((v) => v.host)
    throw new PluginError(
      'xen',
      dark.length ? 'HOST_UNREACHABLE' : 'NOT_RUNNING',
      dark.length
        ? `${vm} runs on no host that answers (${dark.join(', ')} unreachable): a dead host cannot live-migrate; restart it elsewhere after a fence`
        : `${vm} is not running on any hypervisor`,
    )
  }
  return { host, guest, views }
}

/** Free memory (MiB) of each answering candidate, less the configured reserve. */
export async function capacities(
  ctx: Ctx,
  toolstack: Toolstack,
  hosts: string[],
): Promise<Map<string, number>> {
  const entries = await Promise.all(
    hosts.map(async (host): Promise<[string, number] | undefined> => {
      try {
        return [host, (await freeMemoryMiB(ctx, toolstack, host)) - ctx.config.reserve_mib]
      } catch (error) {
        if (error instanceof PluginError && error.kind === 'HOST_UNREACHABLE') return undefined
        throw error
      }
    }),
  )
  return new Map(entries.filter((e) => e !== undefined))
}

/**
 * Where a guest of `memoryMiB` goes: the first of its preferred hosts with room, else the host
 * with the most free memory. Throws NO_CAPACITY naming each host's free memory.
 */
export function pickTarget(
  ctx: Ctx,
  vm: string,
  memoryMiB: number,
  free: Map<string, number>,
): string {
  const fits = [...free.entries()].filter(([, mib]) => mib >= memoryMiB)
  const preferred = ctx.inventory.vm(vm)?.preferred ?? []
  const choice =
    preferred.find((p) => fits.some(([h]) => h === p)) ?? fits.sort((a, b) => b[1] - a[1])[0]?.[0]
  if (!choice) {
    const seen =
      [...free.entries()].map(([h, mib]) => `${h} ${mib} MiB free`).join(', ') || 'no host answered'
    throw new PluginError(
      'xen',
      'NO_CAPACITY',
      `no host has ${memoryMiB} MiB free for ${vm} (${seen})`,
    )
  }
  return choice
}
