// Pacemaker resource actions via crm_resource: move, ban, clear (with lifetimes) and cleanup.
import { defineAction, type PlannedCommand, z } from '../../core/plugin/index.ts'
import {
  describePlacement,
  findResource,
  type PacemakerStatus,
  type ResourceStatus,
} from './crm-mon.ts'
import {
  type Ctx,
  crm,
  NodeName,
  type PacemakerConfig,
  ResourceName,
  readCliConstraints,
  readStatus,
  resourceId,
} from './crm-tools.ts'
import { Lifetime, refuseWithoutQuorum, requireUsableNode, settle } from './guards.ts'

const MoveInput = z.object({
  /** Inventory service name (its pacemaker.resource) or a resource id. */
  resource: ResourceName,
  node: NodeName,
  lifetime: Lifetime.optional(),
  /** The failed node the resource is recovered from: confirmed fenced first when it uses shared storage. */
  from: NodeName.optional(),
})
const ClearInput = z.object({ resource: ResourceName, node: NodeName.optional() })

export const move = defineAction<typeof MoveInput, PacemakerConfig>({
  description: 'Move a resource to a node with a location constraint (crm_resource --move).',
  input: MoveInput,
  idempotent: true,
  destructive: true,
  scope: 'operate',
  target: (input) => `resource/${input.resource}`,
  places: (input) => [{ service: input.resource, node: input.node }],
  /**
   * For a resource on shared storage: the declared `from`, else any node it is still placed on
   * that is unclean or offline. Pacemaker itself recovers nothing from an unclean node before
   * fencing it; declaring it lets tandem confirm that fence before asking for the move.
   */
  async needsFence(input, ctx) {
    const service = ctx.inventory.service(input.resource) ?? serviceOf(ctx, input.resource)
    if (!service || !ctx.inventory.usesSharedStorage(service)) return []
    if (input.from) return input.from !== input.node ? [input.from] : []
    const status = await readStatus(ctx)
    const placed = findResource(status, resourceId(ctx.inventory, input.resource))?.nodes ?? []
    const clean = (name: string) =>
      status.nodes.some((n) => n.name === name && n.online && !n.unclean)
    return placed.filter((name) => name !== input.node && !clean(name))
  },
  describe: (input, ctx) => [planned(ctx, '--move', input, 'move')],
  async run(input, ctx) {
    const id = resourceId(ctx.inventory, input.resource)
    const status = await readStatus(ctx)
    refuseWithoutQuorum(status, `move ${id}`)
    requireUsableNode(status, input.node)
    const now = findResource(status, id)
    if (now && alreadyThere(now, input.node))
      return { summary: `${id} already runs on ${input.node}; nothing to do` }
    const result = await runCrm(ctx, '--move', input, now ? describePlacement(now) : undefined)
    return { ...result, summary: `${result.summary}; ${constraintFate(id, input.lifetime)}` }
  },
  verify: (input, ctx) => {
    const id = resourceId(ctx.inventory, input.resource)
    return settle(ctx, (status) => placedOn(status, id, input.node))
  },
})

export const ban = defineAction<typeof MoveInput, PacemakerConfig>({
  description: 'Keep a resource off a node (crm_resource --ban, a -INFINITY location constraint).',
  input: MoveInput,
  idempotent: true,
  destructive: true,
  scope: 'operate',
  target: (input) => `resource/${input.resource}`,
  describe: (input, ctx) => [planned(ctx, '--ban', input, 'ban')],
  async run(input, ctx) {
    const id = resourceId(ctx.inventory, input.resource)
    const status = await readStatus(ctx)
    refuseWithoutQuorum(status, `ban ${id}`)
    const now = findResource(status, id)
    return runCrm(ctx, '--ban', input, now ? describePlacement(now) : undefined)
  },
  verify: (input, ctx) => {
    const id = resourceId(ctx.inventory, input.resource)
    return settle(ctx, (status) => {
      const r = findResource(status, id)
      if (!r) return { ok: false, detail: `${id} is not in crm_mon` }
      const ok = !r.nodes.includes(input.node)
      return { ok, detail: `${describePlacement(r)}${ok ? '' : `; expected off ${input.node}`}` }
    })
  },
})

export const clear = defineAction<typeof ClearInput, PacemakerConfig>({
  description: 'Remove the constraints move/ban left for a resource (crm_resource --clear).',
  input: ClearInput,
  idempotent: true,
  destructive: true,
  scope: 'operate',
  target: (input) => `resource/${input.resource}`,
  describe: (input, ctx) => [planned(ctx, '--clear', input, 'clear constraints of')],
  run: (input, ctx) => runCrm(ctx, '--clear', input),
  async verify(input, ctx) {
    const id = resourceId(ctx.inventory, input.resource)
    const left = (await readCliConstraints(ctx, id)).filter(
      (c) => !input.node || c.node === input.node,
    )
    const names = left.map((c) => c.id)
    return {
      ok: names.length === 0,
      detail: names.length
        ? `still constrained: ${names.join(', ')}`
        : `no move/ban constraints for ${id}`,
    }
  },
})

export const cleanup = defineAction<typeof ClearInput, PacemakerConfig>({
  description:
    'Forget failed operations of a resource so Pacemaker re-checks it (crm_resource --cleanup).',
  input: ClearInput,
  idempotent: true,
  // Clearing fail counts can make the scheduler start or move the resource again.
  destructive: true,
  scope: 'operate',
  target: (input) => `resource/${input.resource}`,
  describe: (input, ctx) => [planned(ctx, '--cleanup', input, 'clean up')],
  run: (input, ctx) => runCrm(ctx, '--cleanup', input),
  verify(input, ctx) {
    const id = resourceId(ctx.inventory, input.resource)
    return settle(ctx, (status) => {
      const left = status.failures.filter(
        (f) => f.resource.split(':')[0] === id && (!input.node || f.node === input.node),
      )
      const what = left.map((f) => `${f.task} on ${f.node}: ${f.exitStatus}`).join('; ')
      return {
        ok: left.length === 0,
        detail: left.length ? `failures remain: ${what}` : `no failures for ${id}`,
      }
    })
  },
})

type Flag = '--move' | '--ban' | '--clear' | '--cleanup'
type AnyInput = { resource: string; node?: string; lifetime?: string }

function argv(ctx: Ctx, flag: Flag, input: AnyInput): string[] {
  const id = resourceId(ctx.inventory, input.resource)
  return [
    ctx.config.crm_resource,
    flag,
    '-r',
    id,
    ...(input.node ? ['-N', input.node] : []),
    ...(input.lifetime ? ['--lifetime', input.lifetime] : []),
  ]
}

function planned(ctx: Ctx, flag: Flag, input: AnyInput, verb: string): PlannedCommand {
  const id = resourceId(ctx.inventory, input.resource)
  const where = input.node ? (flag === '--move' ? ` to ${input.node}` : ` on ${input.node}`) : ''
  const lifetime = input.lifetime ? ` for ${input.lifetime}` : ''
  return { argv: argv(ctx, flag, input), note: `${verb} ${id}${where}${lifetime}` }
}

async function runCrm(ctx: Ctx, flag: Flag, input: AnyInput, before?: string) {
  const args = argv(ctx, flag, input)
  const { output, node } = await crm(ctx, args)
  const said = output.split('\n')[0] ?? ''
  const id = resourceId(ctx.inventory, input.resource)
  const summary = `crm_resource ${flag} ${id}${input.node ? ` ${input.node}` : ''} done${before ? ` (was: ${before})` : ''}${said ? ` — ${said}` : ''}`
  return { summary, data: { resource: id, output }, commands: [{ argv: args, node }] }
}

/**
 * Nothing to move: a primitive or group already (only) there, or a clone with an instance
 * there — crm_resource refuses the latter with rc 108 ("already exists").
 */
function alreadyThere(r: ResourceStatus, node: string): boolean {
  if (r.kind === 'clone' || r.kind === 'bundle') return r.nodes.includes(node)
  return r.nodes.length === 1 && r.nodes[0] === node
}

/** A move pins the resource with `cli-prefer-<id>` until it expires or is cleared: say which. */
function constraintFate(id: string, lifetime: string | undefined): string {
  return lifetime
    ? `constraint cli-prefer-${id} expires after ${lifetime}`
    : `constraint cli-prefer-${id} stays until pacemaker.clear (or move with a lifetime)`
}

function placedOn(status: PacemakerStatus, id: string, node: string) {
  const r = findResource(status, id)
  if (!r) return { ok: false, detail: `${id} is not in crm_mon` }
  const only = r.kind === 'clone' || r.kind === 'bundle' || r.nodes.length === 1
  const ok = r.nodes.includes(node) && only
  return { ok, detail: `${describePlacement(r)}${ok ? '' : `; expected on ${node}`}` }
}

function serviceOf(ctx: Ctx, resource: string) {
  return ctx.inventory.config.services.find((s) => s.cluster?.pacemaker?.resource === resource)
}
