// The xen plugin: live-migrate guests, evacuate a host, restart a dead host's guests elsewhere
// (only after its fence), and probe what every hypervisor runs — with xl, xm or virsh.
import {
  defineAction,
  definePlugin,
  defineProbe,
  guardProbe,
  Name,
  type PluginContext,
  type ProbeStatus,
  type VmFacts,
  z,
} from '../../core/plugin/index.ts'
import { XenConfig } from './config.ts'
import { type HostView, hypervisors, survey, toolstackOf, whereAlive } from './hosts.ts'
import { evacuate, migrate, restartElsewhere, runsOn, startWhereDown } from './moves.ts'
import { isAlive } from './parse.ts'
import { argvFor, planned } from './toolstack.ts'

export { XenConfig } from './config.ts'

const MigrateInput = z.strictObject({ vm: Name, to: Name.optional() })
const EvacuateInput = z.strictObject({
  host: Name,
  concurrency: z.number().int().min(1).max(32).optional(),
})
const RestartInput = z.strictObject({
  vm: Name,
  /** The dead host; default the guest's declared home. It must be confirmed fenced first. */
  from: Name.optional(),
  to: Name.optional(),
})
const StartInput = z.strictObject({
  vm: Name,
  /** Where to start it; default its declared host (when it answers), else the host with room. */
  to: Name.optional(),
})
const DomainsInput = z.strictObject({ host: Name.optional() })
type Ctx = PluginContext<XenConfig>

export default definePlugin<XenConfig>({
  name: 'xen',
  description:
    'Xen guests with xl, xm or virsh: live migration, host evacuation, restart after a fence',
  config: XenConfig,
  actions: {
    migrate: defineAction<typeof MigrateInput, XenConfig>({
      description: 'live-migrate a guest to a host (given, or the one with the most free memory)',
      input: MigrateInput,
      idempotent: false,
      destructive: true,
      scope: 'fence',
      target: (input) => `vm/${input.vm}`,
      describe: (input, ctx) => [
        planned(
          ctx.inventory.vm(input.vm)?.host ?? '?',
          argvFor(ctx, toolstackOf(ctx, input.vm)).migrate(
            input.vm,
            input.to ?? '<host with most free memory>',
          ),
          `live-migrate ${input.vm} from wherever it runs`,
        ),
      ],
      async run(input, ctx) {
        const move = await migrate(ctx, input.vm, input.to)
        if ('already' in move)
          return { summary: `${input.vm} already runs on ${move.already}`, data: move }
        return {
          summary: `${move.vm} live-migrated ${move.from} → ${move.to} (${move.toolstack})`,
          data: { ...move },
          commands: [planned(move.from, move.argv, `migrate ${move.vm}`)],
        }
      },
      async verify(input, ctx) {
        const to = input.to ?? (await whereNow(ctx, input.vm))
        return to ? runsOn(ctx, input.vm, to) : { ok: false, detail: `${input.vm} runs nowhere` }
      },
    }),
    evacuate: defineAction<typeof EvacuateInput, XenConfig>({
      description: 'live-migrate every guest off a host, a few at a time, placed by free memory',
      input: EvacuateInput,
      idempotent: true,
      destructive: true,
      scope: 'fence',
      target: (input) => `node/${input.host}`,
      describe: (input, ctx) => [
        planned(
          input.host,
          argvFor(ctx, ctx.config.toolstack).list(),
          `list the guests of ${input.host}, then migrate each (${input.concurrency ?? ctx.config.evacuate_concurrency} at a time)`,
        ),
      ],
      async run(input, ctx) {
        const done = await evacuate(
          ctx,
          input.host,
          input.concurrency ?? ctx.config.evacuate_concurrency,
        )
        return {
          summary: `${input.host} evacuated: ${done.moved.map((m) => `${m.vm} → ${m.to}`).join(', ') || 'no guests'}`,
          data: { host: input.host, moved: done.moved },
          commands: done.moved.map((m) => planned(m.from, m.argv, `migrate ${m.vm}`)),
        }
      },
      async verify(input, ctx) {
        const [view] = await survey(
          ctx,
          ctx.inventory.guestsOf(input.host)[0]?.toolstack ?? ctx.config.toolstack,
          [input.host],
        )
        const left = view?.guests.filter((g) => g.state !== 'shutoff').map((g) => g.name) ?? []
        return {
          ok: !!view?.reachable && left.length === 0,
          detail: left.length
            ? `${input.host} still runs ${left.join(', ')}`
            : `${input.host} runs no guests`,
        }
      },
    }),
    restart_elsewhere: defineAction<typeof RestartInput, XenConfig>({
      description:
        'start a dead host’s guest on a survivor; the old host must be confirmed fenced first',
      input: RestartInput,
      idempotent: false,
      destructive: true,
      scope: 'fence',
      target: (input) => `vm/${input.vm}`,
      needsFence: (input, ctx) => [input.from ?? ctx.inventory.vm(input.vm)?.host ?? input.vm],
      describe: (input, ctx) => [
        planned(
          input.to ?? '<survivor with most free memory>',
          argvFor(ctx, toolstackOf(ctx, input.vm)).start(input.vm),
          `start ${input.vm} after ${input.from ?? ctx.inventory.vm(input.vm)?.host} is confirmed fenced`,
        ),
      ],
      async run(input, ctx) {
        const from = input.from ?? ctx.inventory.vm(input.vm)?.host ?? ''
        const move = await restartElsewhere(ctx, input.vm, from, input.to)
        return {
          summary: `${move.vm} restarted on ${move.to} (its host ${from} is down)`,
          data: { ...move },
          commands: [planned(move.to, move.argv, `start ${move.vm}`)],
        }
      },
      async verify(input, ctx) {
        const to = input.to ?? (await whereNow(ctx, input.vm))
        return to ? runsOn(ctx, input.vm, to) : { ok: false, detail: `${input.vm} runs nowhere` }
      },
    }),
    start: defineAction<typeof StartInput, XenConfig>({
      description:
        'start a guest that runs nowhere, on its host (or the one with room); only when every hypervisor answers',
      input: StartInput,
      idempotent: true,
      destructive: false,
      scope: 'operate',
      target: (input) => `vm/${input.vm}`,
      describe: (input, ctx) => [
        planned(
          input.to ?? ctx.inventory.vm(input.vm)?.host ?? '?',
          argvFor(ctx, toolstackOf(ctx, input.vm)).start(input.vm),
          `start ${input.vm} if no hypervisor runs it and every one answers`,
        ),
      ],
      async run(input, ctx) {
        const started = await startWhereDown(ctx, input.vm, input.to)
        if ('already' in started)
          return { summary: `${input.vm} already runs on ${started.already}`, data: started }
        return {
          summary: `${started.vm} started on ${started.to} (it ran nowhere)`,
          data: { ...started },
          commands: [planned(started.to, started.argv, `start ${started.vm}`)],
        }
      },
      async verify(input, ctx) {
        const to = input.to ?? (await whereNow(ctx, input.vm))
        return to ? runsOn(ctx, input.vm, to) : { ok: false, detail: `${input.vm} runs nowhere` }
      },
    }),
  },
  probes: {
    domains: defineProbe<typeof DomainsInput, XenConfig>({
      description:
        'what every hypervisor runs (xl list / xm list / virsh list --all): guests down, or running twice',
      input: DomainsInput,
      run: (input, ctx) =>
        guardProbe(() => probeDomains(ctx, input.host ? [input.host] : hypervisors(ctx))),
    }),
  },
})

/** Where the guest runs now, if exactly one answering host runs it. */
async function whereNow(ctx: Ctx, vm: string): Promise<string | undefined> {
  const alive = whereAlive(await survey(ctx, toolstackOf(ctx, vm)), vm)
  return alive.length === 1 ? alive[0] : undefined
}

async function probeDomains(ctx: Ctx, hosts: string[]) {
  const declared = ctx.inventory.config.vms.map((v) => v.toolstack)
  const stacks = new Set(declared.length ? declared : [ctx.config.toolstack])
  const views = (await Promise.all([...stacks].map((s) => survey(ctx, s, hosts)))).flat()
  const merged = new Map<string, (typeof views)[number]>()
  for (const view of views) {
    const seen = merged.get(view.host)
    if (!seen || (!seen.reachable && view.reachable)) merged.set(view.host, view)
  }
  const all = [...merged.values()]
  const vms = Object.fromEntries(
    ctx.inventory.config.vms.map((vm) => [
      vm.name,
      { hosts: whereAlive(all, vm.name), home: vm.host },
    ]),
  )
  const twice = Object.entries(vms)
    .filter(([, v]) => v.hosts.length > 1)
    .map(([n]) => n)
  const down = Object.entries(vms)
    .filter(([, v]) => v.hosts.length === 0)
    .map(([n]) => n)
  const dark = all.filter((v) => !v.reachable).map((v) => v.host)
  const status: ProbeStatus =
    twice.length || down.length ? 'critical' : dark.length ? 'warning' : 'ok'
  const detail =
    [
      twice.length ? `running twice: ${twice.join(', ')}` : '',
      down.length ? `not running: ${down.join(', ')}` : '',
      dark.length ? `unreachable: ${dark.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ') || `${Object.keys(vms).length} guests running`
  const hostsOut = Object.fromEntries(
    all.map((v) => [
      v.host,
      { reachable: v.reachable, guests: v.guests, ...(v.error ? { error: v.error } : {}) },
    ]),
  )
  return { status, detail, data: { hosts: hostsOut, vms }, facts: { vms: guestFacts(ctx, all) } }
}

/** Where each inventory guest runs now, and in what state, as the hypervisors say. */
function guestFacts(ctx: Ctx, views: HostView[]): Record<string, VmFacts> {
  const dark = views.some((v) => !v.reachable)
  const out: Record<string, VmFacts> = {}
  for (const vm of ctx.inventory.config.vms) {
    const hosts = whereAlive(views, vm.name)
    const rows = views.flatMap((v) => v.guests.filter((g) => g.name === vm.name))
    const alive = rows.find((g) => isAlive(g.state))
    const state = alive?.state ?? (dark ? 'unreachable' : (rows[0]?.state ?? 'shutoff'))
    out[vm.name] = { host: hosts.length === 1 ? hosts[0]! : null, hosts, state }
  }
  return out
}
