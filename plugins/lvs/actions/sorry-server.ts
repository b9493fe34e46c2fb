// sorry_server: when no real server of a service can take traffic (all drained or gone), the
// configured fallback joins the service; when one is back, it leaves again.
import { defineAction, Name, z } from '../../../core/plugin/index.ts'
import { deleteServerCommand, serverCommand } from '../commands.ts'
import { lvsError } from '../errors.ts'
import { type LvsConfig, type LvsContext, onDirector, readTable } from '../ipvsadm.ts'
import { findServer, findService, type LiveService, serverId } from '../model.ts'
import { type LvsTarget, resolveTarget } from '../targets.ts'

const SorryInput = z.strictObject({
  service: Name,
  /** true: put the sorry server in; false: take it out; absent: decide from the table. */
  enable: z.boolean().optional(),
})

export const sorryServer = defineAction<typeof SorryInput, LvsConfig>({
  description: 'send a service to its sorry server while no real server can take traffic, and back',
  input: SorryInput,
  idempotent: true,
  destructive: true,
  target: (input) => `lvs/${input.service}`,
  async describe(input, ctx) {
    const { lvs, sorry } = await sorryTarget(ctx, input.service)
    const director = onDirector(ctx, lvs.director)
    let enable = input.enable
    let reason = 'as asked'
    if (enable === undefined) {
      try {
        const service = findService(await readTable(director), lvs.service.ref)
        enable = service ? !hasCapacity(service, lvs) : true
        reason = enable ? 'no real server has weight' : 'a real server has weight'
      } catch (error) {
        reason = `table unread (${error instanceof Error ? error.message : error}); assuming every real server is down`
        enable = true
      }
    }
    const args = enable
      ? serverCommand('-a', lvs.service.ref, sorry)
      : deleteServerCommand(lvs.service.ref, sorry)
    const verb = enable ? 'add' : 'remove'
    return [
      director.plan(args, `${verb} sorry server ${serverId(sorry)} of ${input.service}: ${reason}`),
    ]
  },
  async run(input, ctx) {
    const { lvs, sorry } = await sorryTarget(ctx, input.service)
    const director = onDirector(ctx, lvs.director)
    const service = findService(await readTable(director), lvs.service.ref)
    const enable = input.enable ?? !(service && hasCapacity(service, lvs))
    const present = service ? findServer(service.servers, sorry) !== undefined : false
    const where = `sorry server ${serverId(sorry)} of ${input.service}`
    if (enable === present)
      return {
        summary: `${where} already ${enable ? 'in place' : 'out'}`,
        data: { enabled: enable },
        commands: [],
      }
    if (enable) await director.run(serverCommand('-a', lvs.service.ref, sorry), `add ${where}`)
    else await director.run(deleteServerCommand(lvs.service.ref, sorry), `remove ${where}`)
    return {
      summary: `${enable ? 'added' : 'removed'} ${where}`,
      data: { enabled: enable },
      commands: director.changes,
    }
  },
  async verify(input, ctx) {
    const { lvs, sorry } = await sorryTarget(ctx, input.service)
    const service = findService(await readTable(onDirector(ctx, lvs.director)), lvs.service.ref)
    const present = service ? findServer(service.servers, sorry) !== undefined : false
    const wanted = input.enable ?? !(service && hasCapacity(service, lvs))
    const where = `sorry server ${serverId(sorry)} of ${input.service}`
    return { ok: present === wanted, detail: `${where} is ${present ? 'in' : 'out'}` }
  },
})

/** Some real server other than the sorry server itself has a weight above 0. */
function hasCapacity(service: LiveService, lvs: LvsTarget): boolean {
  const sorryId = lvs.sorry ? serverId(lvs.sorry) : ''
  return service.servers.some((s) => s.weight > 0 && serverId(s) !== sorryId)
}

async function sorryTarget(ctx: LvsContext, name: string) {
  const lvs = await resolveTarget(ctx.inventory, name)
  if (!lvs.sorry)
    throw lvsError('NO_SORRY_SERVER', `service "${name}" declares no lvs.sorry_server`)
  return { lvs, sorry: lvs.sorry }
}
