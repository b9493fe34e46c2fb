// Pacemaker node actions: put a node in standby (it runs nothing) and bring it back (crm_attribute).
import { defineAction, z } from '../../core/plugin/index.ts'
import { type Ctx, crm, NodeName, type PacemakerConfig, readStatus } from './crm-tools.ts'
import { nodeState, refuseWithoutQuorum, settle } from './guards.ts'

const NodeInput = z.object({ node: NodeName })
type NodeInput = z.output<typeof NodeInput>

export const standby = defineAction<typeof NodeInput, PacemakerConfig>({
  description:
    'Put a node in standby: Pacemaker moves every resource off it (crm_attribute standby=on).',
  input: NodeInput,
  idempotent: true,
  destructive: true,
  scope: 'fence',
  target: (input) => `node/${input.node}`,
  describe: (input, ctx) => [{ argv: argv(ctx, input, 'on'), note: `standby ${input.node}` }],
  async run(input, ctx) {
    refuseWithoutQuorum(await readStatus(ctx), `put ${input.node} in standby`)
    return setStandby(ctx, input, 'on')
  },
  verify: (input, ctx) =>
    settle(ctx, (status) => {
      const node = status.nodes.find((n) => n.name === input.node)
      if (!node) return { ok: false, detail: `${input.node} is not in crm_mon` }
      const ok = node.standby && node.resourcesRunning === 0
      const running = `${node.resourcesRunning} resources running`
      return {
        ok,
        detail: `${input.node} is ${nodeState(node)}, ${running}${ok ? '' : '; expected standby with none'}`,
      }
    }),
})

export const unstandby = defineAction<typeof NodeInput, PacemakerConfig>({
  description:
    'Take a node out of standby so it may run resources again (crm_attribute standby=off).',
  input: NodeInput,
  idempotent: true,
  destructive: true,
  scope: 'operate',
  target: (input) => `node/${input.node}`,
  describe: (input, ctx) => [{ argv: argv(ctx, input, 'off'), note: `unstandby ${input.node}` }],
  run: (input, ctx) => setStandby(ctx, input, 'off'),
  verify: (input, ctx) =>
    settle(ctx, (status) => {
      const node = status.nodes.find((n) => n.name === input.node)
      if (!node) return { ok: false, detail: `${input.node} is not in crm_mon` }
      return { ok: !node.standby, detail: `${input.node} is ${nodeState(node)}` }
    }),
})

/** The permanent node attribute (nodes section), as `crm_standby -v` and pcs set it. */
function argv(ctx: Ctx, input: NodeInput, value: 'on' | 'off'): string[] {
  return [ctx.config.crm_attribute, '-N', input.node, '-n', 'standby', '-v', value]
}

async function setStandby(ctx: Ctx, input: NodeInput, value: 'on' | 'off') {
  const args = argv(ctx, input, value)
  const { node } = await crm(ctx, args)
  return {
    summary: `${input.node} standby=${value}`,
    data: { node: input.node, standby: value === 'on' },
    commands: [{ argv: args, node }],
  }
}
