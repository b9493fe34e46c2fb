// Test helper: small real plugins with the contract's action names and inputs (CONTRACTS.md), so
// policy tests and the policy benchmark run before the real LVS/cluster/fence/xen plugins land.
import {
  type ActionDefinition,
  definePlugin,
  type PlannedCommand,
  type PluginContext,
  type PluginDefinition,
  z,
} from '../../core/plugin/index.ts'
import email from '../../plugins/email/index.ts'
import webhook from '../../plugins/webhook/index.ts'

const ServiceName = z.string().min(1)
const NodeName = z.string().min(1)

type Describe<I> = (input: I, ctx: PluginContext<{ bin: string }>) => PlannedCommand[]

function action<S extends z.ZodType>(
  input: S,
  describe: Describe<z.output<S>>,
  traits: Partial<ActionDefinition<z.output<S>, { bin: string }>> = {},
): ActionDefinition<z.output<S>, { bin: string }> {
  return {
    description: 'test action',
    input: input as z.ZodType<z.output<S>>,
    describe,
    run: async (value, ctx) => ({ summary: 'ran', commands: describe(value, ctx) }),
    idempotent: true,
    destructive: true,
    scope: 'operate',
    ...traits,
  }
}

const config = (bin: string) => z.object({ bin: z.string().default(bin) })

function realServer(ctx: PluginContext<{ bin: string }>, service: string, node: string) {
  const svc = ctx.inventory.service(service)
  const ref = ctx.inventory.realServersOn(node).find((r) => r.service.name === service)
  const flag = { masq: '-m', route: '-g', tunnel: '-i' }[ref?.forwarding ?? 'route']
  const address = ctx.inventory.node(node)?.address ?? node
  return {
    vip: `${svc?.lvs?.address}:${svc?.lvs?.port}`,
    rip: `${address}:${ref?.port}`,
    flag,
    ref,
  }
}

const lvsPair = z.object({ service: ServiceName, node: NodeName })
const verify = async () => ({ ok: true, detail: 'ok' })

export const lvs: PluginDefinition<{ bin: string }> = definePlugin({
  name: 'lvs',
  description: 'test lvs',
  config: config('ipvsadm'),
  actions: {
    drain: action(
      lvsPair,
      (i, ctx) => {
        const rs = realServer(ctx, i.service, i.node)
        return [
          {
            argv: [ctx.config.bin, '-e', '-t', rs.vip, '-r', rs.rip, rs.flag, '-w', '0'],
            note: `drain ${i.node} from ${i.service}`,
          },
        ]
      },
      { verify, target: (i) => `lvs/${i.service}/${i.node}` },
    ),
    restore: action(
      lvsPair,
      (i, ctx) => {
        const rs = realServer(ctx, i.service, i.node)
        return [
          {
            argv: [
              ctx.config.bin,
              '-e',
              '-t',
              rs.vip,
              '-r',
              rs.rip,
              rs.flag,
              '-w',
              String(rs.ref?.server.weight ?? 1),
            ],
          },
        ]
      },
      { verify },
    ),
    set_weight: action(lvsPair.extend({ weight: z.number().int().min(0) }), (i, ctx) => {
      const rs = realServer(ctx, i.service, i.node)
      return [
        {
          argv: [ctx.config.bin, '-e', '-t', rs.vip, '-r', rs.rip, rs.flag, '-w', String(i.weight)],
        },
      ]
    }),
    add_server: action(lvsPair, (i, ctx) => [{ argv: [ctx.config.bin, '-a', i.service, i.node] }]),
    remove_server: action(lvsPair, (i, ctx) => [
      { argv: [ctx.config.bin, '-d', i.service, i.node] },
    ]),
    wait_drained: action(
      lvsPair.extend({ timeout: z.string().optional() }),
      (i, ctx) => [
        { argv: [ctx.config.bin, '-L', '-n', '--stats'], note: `wait for ${i.node} to drain` },
      ],
      { destructive: false, scope: 'read' },
    ),
    sorry_server: action(
      z.object({ service: ServiceName, enable: z.boolean().optional() }),
      (i, ctx) => [{ argv: [ctx.config.bin, '-sorry', i.service, String(i.enable ?? true)] }],
    ),
    reconcile: action(z.object({ service: ServiceName.optional() }), (_i, ctx) => [
      { argv: [ctx.config.bin, '-R'] },
    ]),
    note: action(
      z.object({ service: ServiceName, comment: z.string() }),
      (i, ctx) => [{ argv: [ctx.config.bin, '--comment', i.comment, i.service] }],
      { destructive: false },
    ),
  },
})

const svc = z.object({ service: ServiceName })
const svcNode = z.object({
  service: ServiceName,
  node: NodeName.optional(),
  from: NodeName.optional(),
})

export const rgmanager: PluginDefinition<{ bin: string }> = definePlugin({
  name: 'rgmanager',
  description: 'test rgmanager',
  config: config('clusvcadm'),
  actions: {
    relocate: action(
      svcNode,
      (i, ctx) => [{ argv: [ctx.config.bin, '-r', i.service, ...(i.node ? ['-m', i.node] : [])] }],
      {
        verify,
        needsFence: () => [],
      },
    ),
    enable: action(svcNode, (i, ctx) => [
      { argv: [ctx.config.bin, '-e', i.service, ...(i.node ? ['-m', i.node] : [])] },
    ]),
    disable: action(svc, (i, ctx) => [{ argv: [ctx.config.bin, '-d', i.service] }]),
    restart: action(svc, (i, ctx) => [{ argv: [ctx.config.bin, '-R', i.service] }]),
    freeze: action(svc, (i, ctx) => [{ argv: [ctx.config.bin, '-Z', i.service] }]),
    unfreeze: action(svc, (i, ctx) => [{ argv: [ctx.config.bin, '-U', i.service] }]),
    migrate: action(
      z.object({ service: ServiceName, node: NodeName }),
      (i, ctx) => [{ argv: [ctx.config.bin, '-M', i.service, '-m', i.node] }],
      { scope: 'fence' },
    ),
  },
})

const resNode = z.object({ resource: z.string(), node: NodeName, lifetime: z.string().optional() })

export const pacemaker: PluginDefinition<{ bin: string }> = definePlugin({
  name: 'pacemaker',
  description: 'test pacemaker',
  config: config('crm_resource'),
  actions: {
    move: action(resNode, (i, ctx) => [
      { argv: [ctx.config.bin, '--move', '-r', i.resource, '-N', i.node] },
    ]),
    ban: action(resNode, (i, ctx) => [
      { argv: [ctx.config.bin, '--ban', '-r', i.resource, '-N', i.node] },
    ]),
    clear: action(z.object({ resource: z.string(), node: NodeName.optional() }), (i, ctx) => [
      { argv: [ctx.config.bin, '--clear', '-r', i.resource] },
    ]),
    standby: action(
      z.object({ node: NodeName }),
      (i) => [{ argv: ['crm_attribute', '-N', i.node, '-n', 'standby', '-v', 'on'] }],
      { scope: 'fence' },
    ),
    unstandby: action(z.object({ node: NodeName }), (i) => [
      { argv: ['crm_attribute', '-N', i.node, '-n', 'standby', '-v', 'off'] },
    ]),
    cleanup: action(z.object({ resource: z.string(), node: NodeName.optional() }), (i, ctx) => [
      { argv: [ctx.config.bin, '--cleanup', '-r', i.resource] },
    ]),
  },
})

export const fence: PluginDefinition<{ bin: string }> = definePlugin({
  name: 'fence',
  description: 'test fence',
  config: config('fence_lab'),
  actions: {
    fence: action(
      z.object({ node: NodeName }),
      (i, ctx) => [
        {
          argv: [ctx.config.bin],
          stdinKeys: ['action', 'plug', 'password'],
          note: `power off ${i.node}`,
        },
      ],
      { idempotent: false, verify, fences: (i) => i.node, scope: 'fence' },
    ),
    status: action(
      z.object({ node: NodeName }),
      (_i, ctx) => [{ argv: [ctx.config.bin], stdinKeys: ['action', 'plug'] }],
      { destructive: false, scope: 'read' },
    ),
    unfence: action(
      z.object({ node: NodeName }),
      (_i, ctx) => [{ argv: [ctx.config.bin], stdinKeys: ['action', 'plug'] }],
      { scope: 'fence' },
    ),
  },
})

export const xen: PluginDefinition<{ bin: string }> = definePlugin({
  name: 'xen',
  description: 'test xen',
  config: config('xl'),
  actions: {
    migrate: action(
      z.object({ vm: z.string(), to: NodeName.optional() }),
      (i, ctx) => [{ argv: [ctx.config.bin, 'migrate', i.vm, i.to ?? 'auto'] }],
      { verify, scope: 'fence' },
    ),
    evacuate: action(
      z.object({ host: NodeName, concurrency: z.number().int().min(1).optional() }),
      (i, ctx) => [{ argv: [ctx.config.bin, 'evacuate', i.host] }],
      { scope: 'fence' },
    ),
    restart_elsewhere: action(
      z.object({ vm: z.string(), to: NodeName.optional(), from: NodeName.optional() }),
      (i, ctx) => [{ argv: [ctx.config.bin, 'create', i.vm, i.to ?? 'auto'] }],
      { verify, scope: 'fence' },
    ),
    start: action(
      z.object({ vm: z.string(), to: NodeName.optional() }),
      (i, ctx) => [{ argv: [ctx.config.bin, 'create', i.vm, i.to ?? 'home'] }],
      { verify, destructive: false },
    ),
  },
})

/** Every test plugin, in the order plugins/index.ts will list the real ones (notifiers are real). */
export const testPlugins: PluginDefinition[] = [
  lvs,
  rgmanager,
  pacemaker,
  fence,
  xen,
  email,
  webhook,
] as PluginDefinition[]
