// sorry_server: when no real server of a service can take traffic (all drained or gone), the
// configured fallback joins the service; when one is back, it leaves again.
import { defineAction, Name, z } from '../../../core/plugin/index.ts'
import { deleteServerCommand, serverCommand } from '../commands.ts'
import { lvsError } from '../errors.ts'
import { type LvsConfig, type LvsContext, onDirector, readTable } from '../ipvsadm.ts'
import {
  findServer,
  findService,
  type IpvsTable,
  type LiveService,
  type RealServer,
  serverId,
} from '../model.ts'
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
  scope: 'operate',
  target: (input) => `lvs/${input.service}`,
  async describe(input, ctx) {
    const { lvs, sorry } = await sorryTarget(ctx, input.service)
    const director = onDirector(ctx, lvs.director)
    let decision: Decision
    try {
      decision = decide(input.enable, lvs, await readTable(director))
    } catch (error) {
      const unread = error instanceof Error ? error.message : String(error)
      decision = {
        enable: input.enable ?? true,
        present: !(input.enable ?? true),
        reason: `table unread: ${unread}`,
      }
    }
    if (decision.enable === decision.present) return []
    const verb = decision.enable ? 'add' : 'remove'
    const note = `${verb} sorry server ${serverId(sorry)} of ${input.service}: ${decision.reason}`
    return [director.plan(change(decision.enable, lvs, sorry), note)]
  },
  async run(input, ctx) {
    const { lvs, sorry } = await sorryTarget(ctx, input.service)
    const director = onDirector(ctx, lvs.director)
    const { enable, present } = decide(input.enable, lvs, await readTable(director))
    const where = `sorry server ${serverId(sorry)} of ${input.service}`
    if (enable === present)
      return {
        summary: `${where} already ${enable ? 'in place' : 'out'}`,
        data: { enabled: enable },
        commands: [],
      }
    await director.run(change(enable, lvs, sorry), `${enable ? 'add' : 'remove'} ${where}`)
    return {
      summary: `${enable ? 'added' : 'removed'} ${where}`,
      data: { enabled: enable },
      commands: director.changes,
    }
  },
  async verify(input, ctx) {
    const { lvs, sorry } = await sorryTarget(ctx, input.service)
    const table = await readTable(onDirector(ctx, lvs.director))
    const { enable, present } = decide(input.enable, lvs, table)
    const where = `sorry server ${serverId(sorry)} of ${input.service}`
    return { ok: present === enable, detail: `${where} is ${present ? 'in' : 'out'}` }
  },
})

interface Decision {
  enable: boolean
  present: boolean
  reason: string
}

/** Whether the sorry server should be in (as asked, or: no real server has weight) and is. */
function decide(enable: boolean | undefined, lvs: LvsTarget, table: IpvsTable): Decision {
  const service = findService(table, lvs.service.ref)
  const present = !!(service && lvs.sorry && findServer(service.servers, lvs.sorry))
  if (enable !== undefined) return { enable, present, reason: 'as asked' }
  const capacity = service !== undefined && hasCapacity(service, lvs)
  const reason = capacity ? 'a real server has weight' : 'no real server has weight'
  return { enable: !capacity, present, reason }
}

function change(enable: boolean, lvs: LvsTarget, sorry: RealServer): string[] {
  return enable
    ? serverCommand('-a', lvs.service.ref, sorry)
    : deleteServerCommand(lvs.service.ref, sorry)
}

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
