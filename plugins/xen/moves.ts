// Moving guests: live-migrate one, evacuate a host, restart a dead host's guest on a survivor.
import { type PluginContext, PluginError } from '../../core/plugin/index.ts'
import type { Toolstack, XenConfig } from './config.ts'
import {
  capacities,
  hypervisors,
  locate,
  pickTarget,
  survey,
  toolstackOf,
  whereAlive,
} from './hosts.ts'
import { isAlive } from './parse.ts'
import { argvFor, failOn, run, stateOn } from './toolstack.ts'

type Ctx = PluginContext<XenConfig>

export interface Move {
  vm: string
  from: string
  to: string
  toolstack: Toolstack
  argv: string[]
}

/** Live-migrates `vm` from wherever it runs to `to` (or the host with room). */
export async function migrate(
  ctx: Ctx,
  vm: string,
  to: string | undefined,
): Promise<Move | { vm: string; already: string }> {
  const declared = ctx.inventory.vm(vm)
  if (declared && !declared.live_migrate)
    throw new PluginError('xen', 'LIVE_MIGRATION_DISABLED', `${vm} is declared live_migrate: false`)
  const { host: from, guest } = await locate(ctx, vm)
  if (to === from) return { vm, already: from }
  const toolstack = toolstackOf(ctx, vm)
  const memory = guest.memoryMiB ?? declared?.memory_mib ?? 0
  const target =
    to ?? pickTarget(ctx, vm, memory, await capacities(ctx, toolstack, others(ctx, [from])))
  return moveLive(ctx, {
    vm,
    from,
    to: target,
    toolstack,
    argv: argvFor(ctx, toolstack).migrate(vm, target),
  })
}

/**
 * Migrates every guest off `host`, at most `concurrency` at a time. Placement is planned first
 * against each survivor's free memory, biggest guests first; if any guest would not fit, nothing
 * moves. Guests that fail to migrate are reported together after the others have moved.
 */
export async function evacuate(ctx: Ctx, host: string, concurrency: number) {
  const toolstack = hostToolstack(ctx, host)
  const [view] = await survey(ctx, toolstack, [host])
  if (!view?.reachable)
    throw new PluginError(
      'xen',
      'HOST_UNREACHABLE',
      `${view?.error ?? host}: a dead host cannot be evacuated; restart its guests elsewhere after a fence`,
      { context: `list on ${host}` },
    )
  const guests = view.guests.filter((g) => isAlive(g.state))
  const free = await capacities(ctx, toolstack, others(ctx, [host]))
  const plan: Move[] = []
  for (const guest of [...guests].sort((a, b) => (b.memoryMiB ?? 0) - (a.memoryMiB ?? 0))) {
    const memory = guest.memoryMiB ?? ctx.inventory.vm(guest.name)?.memory_mib ?? 0
    const to = pickTarget(ctx, guest.name, memory, free)
    free.set(to, (free.get(to) ?? 0) - memory)
    const stack = ctx.inventory.vm(guest.name)?.toolstack ?? toolstack
    plan.push({
      vm: guest.name,
      from: host,
      to,
      toolstack: stack,
      argv: argvFor(ctx, stack).migrate(guest.name, to),
    })
  }
  const results = await pool(plan, concurrency, (move) => moveLive(ctx, move))
  const failed = results.filter((r) => r instanceof Error) as PluginError[]
  const moved = results.filter((r): r is Move => !(r instanceof Error))
  if (failed.length > 0)
    throw new PluginError(
      'xen',
      'EVACUATE_INCOMPLETE',
      `${failed.length} of ${plan.length} guests still on ${host}; moved: ${moved.map((m) => `${m.vm} → ${m.to}`).join(', ') || 'none'}\n${failed.map((e) => e.message).join('\n')}`,
    )
  return { host, moved }
}

/**
 * Starts a guest of a dead host on a survivor: `xl create <cfg>`, `xm create <cfg>` or
 * `virsh start`. The executor has confirmed the old host fenced (needsFence); this still
 * refuses when any host that answers runs the guest, since a second instance would corrupt
 * its disks.
 */
export async function restartElsewhere(
  ctx: Ctx,
  vm: string,
  from: string,
  to: string | undefined,
): Promise<Move> {
  const declared = ctx.inventory.vm(vm)
  if (!declared) throw new PluginError('xen', 'UNKNOWN_VM', `${vm} is not declared under vms`)
  const toolstack = toolstackOf(ctx, vm)
  const views = await survey(ctx, toolstack)
  const alive = whereAlive(views, vm)
  if (alive.length > 0)
    throw new PluginError(
      'xen',
      'GUEST_STILL_RUNNING',
      `${vm} still runs on ${alive.join(' and ')}: not starting a second instance${alive.includes(from) ? '; migrate it instead' : ''}`,
    )
  const survivors = views.filter((v) => v.reachable && v.host !== from).map((v) => v.host)
  const target =
    to ?? pickTarget(ctx, vm, declared.memory_mib, await capacities(ctx, toolstack, survivors))
  const argv = argvFor(ctx, toolstack).start(vm)
  const result = await run(ctx, target, argv, ctx.config.migrate_timeout)
  failOn(result, target, argv.slice(0, 2).join(' '))
  return { vm, from, to: target, toolstack, argv }
}

/**
 * Starts a guest that runs nowhere (its host crashed and came back before any failover, or it
 * was stopped by hand) on `to`, else its declared host, else the host with room. Only when every
 * hypervisor answers: a host that does not might still run it, and a second instance would
 * corrupt its disks (that case is node-down-failover's, after a fence).
 */
export async function startWhereDown(
  ctx: Ctx,
  vm: string,
  to: string | undefined,
): Promise<Move | { vm: string; already: string }> {
  const declared = ctx.inventory.vm(vm)
  if (!declared) throw new PluginError('xen', 'UNKNOWN_VM', `${vm} is not declared under vms`)
  const toolstack = toolstackOf(ctx, vm)
  const views = await survey(ctx, toolstack)
  const alive = whereAlive(views, vm)
  if (alive.length === 1) return { vm, already: alive[0]! }
  if (alive.length > 1)
    throw new PluginError('xen', 'GUEST_RUNS_TWICE', `${vm} runs on ${alive.join(' and ')}`)
  const dark = views.filter((v) => !v.reachable).map((v) => v.host)
  if (dark.length > 0)
    throw new PluginError(
      'xen',
      'HOST_UNREACHABLE',
      `${dark.join(', ')} did not answer and might still run ${vm}: not starting it (once fenced, node-down-failover restarts it)`,
    )
  const target =
    to ??
    (views.some((v) => v.host === declared.host)
      ? declared.host
      : pickTarget(
          ctx,
          vm,
          declared.memory_mib,
          await capacities(ctx, toolstack, hypervisors(ctx)),
        ))
  const argv = argvFor(ctx, toolstack).start(vm)
  const result = await run(ctx, target, argv, ctx.config.migrate_timeout)
  failOn(result, target, argv.slice(0, 2).join(' '))
  return { vm, from: declared.host, to: target, toolstack, argv }
}

/** Did the guest arrive? Reads the domain list (or virsh domstate) on the target. */
export async function runsOn(ctx: Ctx, vm: string, host: string) {
  const state = await stateOn(ctx, toolstackOf(ctx, vm), host, vm)
  return { ok: isAlive(state), detail: `${vm} on ${host}: ${state}` }
}

async function moveLive(ctx: Ctx, move: Move): Promise<Move> {
  const timeout = Math.min(ctx.config.migrate_timeout, ctx.timeoutMs)
  const result = await run(ctx, move.from, move.argv, timeout)
  failOn(result, move.from, `migrate ${move.vm} to ${move.to}`)
  return move
}

function others(ctx: Ctx, exclude: string[]): string[] {
  return hypervisors(ctx).filter((h) => !exclude.includes(h))
}

function hostToolstack(ctx: Ctx, host: string): Toolstack {
  return ctx.inventory.guestsOf(host)[0]?.toolstack ?? ctx.config.toolstack
}

/** Runs `work` over `items`, `limit` at a time; failures are returned, not thrown. */
async function pool<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<(R | Error)[]> {
  const results: (R | Error)[] = new Array(items.length)
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i] as T).catch((e: unknown) =>
        e instanceof Error ? e : new Error(String(e)),
      )
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  return results
}
