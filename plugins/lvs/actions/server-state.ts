// What every per-server action starts from: the inventory target, the director, its current
// table and the real server as the kernel holds it now.
import { Name, type PlannedCommand, PluginError, z } from '../../../core/plugin/index.ts'
import { serverCommand } from '../commands.ts'
import { type Director, type LvsContext, onDirector, readTable } from '../ipvsadm.ts'
import {
  findServer,
  findService,
  type IpvsTable,
  type LiveServer,
  type LiveService,
  serverId,
  serviceId,
} from '../model.ts'
import { type DesiredServer, type LvsTarget, resolveTarget, serverOn } from '../targets.ts'

/** Inventory names only: anything else is refused before it could reach an argv. */
export const ServerInput = z.strictObject({ service: Name, node: Name })
export type ServerInput = z.output<typeof ServerInput>

/** Guards (cooldown, concurrency, blast radius) count changes per real server of a service. */
export const serverTarget = (input: { service: string; node: string }) =>
  `lvs/${input.service}/${input.node}`

/** A weight as ipvsadm (Debian's, up to INT_MAX) takes it; templated strings of digits too. */
export const Weight = z
  .union([z.number(), z.string().regex(/^\d+$/, 'expected a whole number').transform(Number)])
  .pipe(z.number().int().min(0).max(2_147_483_647))

export interface ServerState {
  target: LvsTarget
  desired: DesiredServer
  director: Director
  table: IpvsTable
  service: LiveService | undefined
  live: LiveServer | undefined
}

/** The inventory side of a per-server action: which service, server and director. */
export async function resolveServer(ctx: LvsContext, input: ServerInput) {
  const target = await resolveTarget(ctx.inventory, input.service)
  return {
    target,
    desired: serverOn(target, input.node),
    director: onDirector(ctx, target.director),
  }
}

/** Reads the director's table (two ipvsadm reads) and finds the server in it. */
export async function readServer(
  resolved: Awaited<ReturnType<typeof resolveServer>>,
): Promise<ServerState> {
  const table = await readTable(resolved.director)
  const service = findService(table, resolved.target.service.ref)
  const live = service ? findServer(service.servers, resolved.desired.server) : undefined
  return { ...resolved, table, service, live }
}

/** Resolves the input and reads the director's table. */
export async function serverState(ctx: LvsContext, input: ServerInput): Promise<ServerState> {
  return readServer(await resolveServer(ctx, input))
}

/**
 * The live server, or the error ipvsadm itself would give for editing it: the service or the
 * destination is missing from the kernel table.
 */
export function requireLive(state: ServerState): LiveServer {
  const where = `${state.desired.node} ${serverId(state.desired.server)} in ${state.target.name}`
  const context = `${where} (${serviceId(state.target.service.ref)} on ${state.director.node})`
  if (!state.service)
    throw new PluginError('lvs', 'NO_SUCH_SERVICE', 'Service not defined', { context })
  if (!state.live)
    throw new PluginError('lvs', 'NO_SUCH_DESTINATION', 'No such destination', { context })
  return state.live
}

/**
 * Sets the weight of one real server, passing back everything else the kernel holds for it
 * (forwarding, thresholds, tunnel options). No command when it already has that weight.
 */
export async function applyWeight(
  state: ServerState,
  weight: number,
  why: string,
): Promise<{ previous: number; changed: boolean }> {
  const live = requireLive(state)
  if (live.weight === weight) return { previous: live.weight, changed: false }
  const args = serverCommand('-e', state.target.service.ref, { ...live, weight })
  await state.director.run(args, `${why} (weight ${live.weight} → ${weight})`)
  return { previous: live.weight, changed: true }
}

/**
 * The `-e` an action would run, for plans: exact when the table can be read, otherwise built
 * from the inventory and saying so.
 */
export async function planWeight(
  ctx: LvsContext,
  input: ServerInput,
  weightOf: (state: { desired: DesiredServer; live?: LiveServer }) => number,
  why: string,
): Promise<PlannedCommand[]> {
  const resolved = await resolveServer(ctx, input)
  const { target, desired, director } = resolved
  let state: ServerState
  try {
    state = await readServer(resolved)
  } catch (error) {
    const weight = weightOf({ desired })
    const args = serverCommand('-e', target.service.ref, { ...desired.server, weight })
    const unread = `current settings unread: ${message(error)}`
    return [director.plan(args, `${why} (weight → ${weight}; ${unread})`)]
  }
  const live = requireLive(state)
  const weight = weightOf({ desired, live })
  if (live.weight === weight) return []
  const args = serverCommand('-e', target.service.ref, { ...live, weight })
  return [director.plan(args, `${why} (weight ${live.weight} → ${weight})`)]
}

/** Reads the table again and checks one server's weight, nothing else. */
export async function verifyWeight(ctx: LvsContext, input: ServerInput, expected: number) {
  const state = await serverState(ctx, input)
  const where = `${state.desired.node} ${serverId(state.desired.server)} in ${state.target.name}`
  if (!state.live) return { ok: false, detail: `${where} is not in the IPVS table` }
  const ok = state.live.weight === expected
  return {
    ok,
    detail: `${where} has weight ${state.live.weight}${ok ? '' : `, expected ${expected}`}`,
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
