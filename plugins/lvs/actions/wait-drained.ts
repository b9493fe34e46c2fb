// wait_drained: polls a real server's connection count until it reaches 0 or the time is up.
// TCP (and fwmark) count active connections; UDP has no "active" state, so every entry counts.
import { setTimeout as sleep } from 'node:timers/promises'
import { Duration, defineAction, z } from '../../../core/plugin/index.ts'
import { lvsError } from '../errors.ts'
import type { Director, LvsConfig } from '../ipvsadm.ts'
import { type ServiceRef, serverId, serviceArgs, serviceId } from '../model.ts'
import { parseCount, parseListing } from '../parse.ts'
import type { DesiredServer } from '../targets.ts'
import { resolveServer, ServerInput, serverTarget } from './server-state.ts'

const WaitInput = ServerInput.extend({
  /** How long to wait (`30s`, `10m`, or milliseconds); default: the step's limit less a second. */
  timeout: z.union([z.number().int().positive(), Duration]).optional(),
})

export const waitDrained = defineAction<typeof WaitInput, LvsConfig>({
  description: 'wait until a real server has no connections left (or fail when the time is up)',
  input: WaitInput,
  idempotent: true,
  destructive: false,
  scope: 'read',
  target: serverTarget,
  async describe(input, ctx) {
    const { target, desired, director } = await resolveServer(ctx, input)
    const args = ['-Ln', ...serviceArgs(target.service.ref)]
    const every = `${ctx.config.poll_interval_ms} ms`
    const where = `${input.node} ${serverId(desired.server)}`
    return [director.plan(args, `read ${where} connections every ${every} until 0`)]
  },
  async run(input, ctx) {
    const { target, desired, director } = await resolveServer(ctx, input)
    const limit = input.timeout ?? Math.max(1_000, ctx.timeoutMs - 1_000)
    const started = Date.now()
    for (;;) {
      const left = await connectionsLeft(director, target.service.ref, desired)
      if (left.count === 0)
        return {
          summary: `${input.node} in ${input.service} has no connections left (after ${Date.now() - started} ms)`,
          data: { connections: 0, waited_ms: Date.now() - started, listed: left.listed },
          commands: [],
        }
      if (Date.now() - started + ctx.config.poll_interval_ms > limit)
        throw lvsError(
          'DRAIN_TIMEOUT',
          `${input.node} ${serverId(desired.server)} in ${input.service} still has ${left.count} connections after ${Date.now() - started} ms`,
        )
      await sleep(ctx.config.poll_interval_ms, undefined, { signal: ctx.signal })
    }
  },
  async verify(input, ctx) {
    const { target, desired, director } = await resolveServer(ctx, input)
    const left = await connectionsLeft(director, target.service.ref, desired)
    const where = `${input.node} ${serverId(desired.server)} in ${input.service}`
    return { ok: left.count === 0, detail: `${where} has ${left.count} connections` }
  },
})

/** Connections that still matter for one server, from `ipvsadm -Ln -t ...` (one command). */
export async function connectionsLeft(
  director: Director,
  ref: ServiceRef,
  desired: DesiredServer,
): Promise<{ count: number; listed: boolean }> {
  const rows = parseListing(await director.run(['-Ln', ...serviceArgs(ref)]))
  const columns = rows.get(serviceId(ref))?.servers.get(serverId(desired.server))
  if (!columns) return { count: await orphanedConnections(director, ref, desired), listed: false }
  const [, , active = 0, inactive = 0] = columns.map((c) => (/^\d/.test(c) ? parseCount(c) : 0))
  return { count: ref.protocol === 'udp' ? active + inactive : active, listed: true }
}

/**
 * A server taken out of the table keeps its connections (the kernel parks it until they end),
 * so count its entries in the connection list instead.
 */
async function orphanedConnections(director: Director, ref: ServiceRef, desired: DesiredServer) {
  const lines = (await director.run(['-Lnc'])).split('\n').slice(2)
  const vip = ref.protocol === 'fwmark' ? undefined : serverId(ref)
  return lines.filter((line) => {
    const [protocol, , state, , virtual, destination] = line.trim().split(/\s+/)
    if (destination !== serverId(desired.server) || (vip && virtual !== vip)) return false
    return ref.protocol === 'udp' ? protocol === 'UDP' : state === 'ESTABLISHED'
  }).length
}
