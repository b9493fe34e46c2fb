// add_server and remove_server: put a real server into its service as the inventory declares
// it, or take it out. Both are no-ops when the table already says so.
import { defineAction } from '../../../core/plugin/index.ts'
import { deleteServerCommand, serverCommand } from '../commands.ts'
import type { LvsConfig } from '../ipvsadm.ts'
import { serverId } from '../model.ts'
import { resolveServer, ServerInput, serverState, serverTarget } from './server-state.ts'

export const addServer = defineAction<typeof ServerInput, LvsConfig>({
  description:
    'add a real server to its virtual service with the inventory forwarding, weight and thresholds',
  input: ServerInput,
  idempotent: true,
  destructive: true,
  scope: 'operate',
  target: serverTarget,
  drains: (input) => [{ service: input.service, node: input.node, drained: false }],
  async describe(input, ctx) {
    const { target, desired, director } = await resolveServer(ctx, input)
    const { server } = desired
    const args = serverCommand('-a', target.service.ref, server)
    const note = `add ${input.node} ${serverId(server)} to ${input.service} (${server.forwarding}, weight ${server.weight})`
    return [director.plan(args, note)]
  },
  async run(input, ctx) {
    const state = await serverState(ctx, input)
    const { server } = state.desired
    const where = `${input.node} ${serverId(server)}`
    if (state.live)
      return {
        summary: `${where} is already in ${input.service} (weight ${state.live.weight}); left as it is`,
        data: { added: false, weight: state.live.weight },
        commands: [],
      }
    // When the service itself is missing, ipvsadm says so ("Service not defined"): a typed error.
    const note = `add ${where} to ${input.service}`
    await state.director.run(serverCommand('-a', state.target.service.ref, server), note)
    return {
      summary: `added ${where} to ${input.service} (${server.forwarding}, weight ${server.weight})`,
      data: { added: true, weight: server.weight },
      commands: state.director.changes,
    }
  },
  async verify(input, ctx) {
    const state = await serverState(ctx, input)
    const where = `${input.node} ${serverId(state.desired.server)} in ${input.service}`
    return state.live
      ? { ok: true, detail: `${where} is in the IPVS table` }
      : { ok: false, detail: `${where} is not in the IPVS table` }
  },
})

export const removeServer = defineAction<typeof ServerInput, LvsConfig>({
  description: 'remove a real server from its virtual service (its connections are cut off)',
  input: ServerInput,
  idempotent: true,
  destructive: true,
  scope: 'operate',
  target: serverTarget,
  drains: (input) => [{ service: input.service, node: input.node, drained: true }],
  async describe(input, ctx) {
    const { target, desired, director } = await resolveServer(ctx, input)
    const { server } = desired
    const args = deleteServerCommand(target.service.ref, server)
    return [director.plan(args, `remove ${input.node} ${serverId(server)} from ${input.service}`)]
  },
  async run(input, ctx) {
    const state = await serverState(ctx, input)
    const where = `${input.node} ${serverId(state.desired.server)}`
    if (!state.live)
      return {
        summary: `${where} is not in ${input.service}; nothing to remove`,
        data: { removed: false },
        commands: [],
      }
    const args = deleteServerCommand(state.target.service.ref, state.live)
    await state.director.run(args, `remove ${where} from ${input.service}`)
    return {
      summary: `removed ${where} from ${input.service} (it had weight ${state.live.weight}, ${state.live.active} active connections)`,
      data: { removed: true, weight: state.live.weight, active_connections: state.live.active },
      commands: state.director.changes,
    }
  },
  async verify(input, ctx) {
    const state = await serverState(ctx, input)
    const where = `${input.node} ${serverId(state.desired.server)} in ${input.service}`
    return state.live
      ? { ok: false, detail: `${where} is still in the IPVS table` }
      : { ok: true, detail: `${where} is not in the IPVS table` }
  },
})
