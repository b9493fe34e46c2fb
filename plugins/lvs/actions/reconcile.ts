// reconcile: make each director's IPVS table match the inventory — read `ipvsadm -S -n`, diff,
// apply the fewest commands. describe() reads the same table and shows the diff before anything runs.
import {
  defineAction,
  Name,
  type PlannedCommand,
  PluginError,
  z,
} from '../../../core/plugin/index.ts'
import { type LvsConfig, type LvsContext, onDirector, readTable } from '../ipvsadm.ts'
import { type Change, planReconcile } from '../reconcile-plan.ts'
import { type LvsTarget, resolveTarget } from '../targets.ts'

const ReconcileInput = z.strictObject({
  /** One service; absent: every LVS service, and services the inventory does not declare go. */
  service: Name.optional(),
  /** Leave servers at weight 0 drained (and a sorry server in place): for scheduled runs. */
  keep_drained: z.boolean().default(false),
})
type ReconcileInput = z.output<typeof ReconcileInput>

export const reconcile = defineAction<typeof ReconcileInput, LvsConfig>({
  description: 'make the IPVS table match the inventory with the fewest ipvsadm commands',
  input: ReconcileInput,
  idempotent: true,
  destructive: true,
  scope: 'operate',
  target: (input) => (input.service ? `lvs/${input.service}` : 'lvs'),
  async describe(input, ctx) {
    const planned: PlannedCommand[] = []
    for (const { director, changes } of await diff(ctx, input))
      planned.push(...changes.map((c) => director.plan(c.args, c.note)))
    return planned
  },
  async run(input, ctx) {
    const diffs = await diff(ctx, input)
    const applied: PlannedCommand[] = []
    const total = diffs.reduce((n, d) => n + d.changes.length, 0)
    for (const { director, changes } of diffs) {
      for (const change of changes) {
        try {
          await director.run(change.args, change.note)
        } catch (error) {
          throw progressError(error, change, applied.length + director.changes.length, total)
        }
      }
      applied.push(...director.changes)
    }
    const count = applied.length
    return {
      summary:
        count === 0
          ? `IPVS already matches the inventory (${scope(input)})`
          : `reconciled ${scope(input)} with ${count} command${count === 1 ? '' : 's'}: ${applied.map((c) => c.note).join('; ')}`,
      data: { changes: applied.map((c) => c.note), commands: count },
      commands: applied,
    }
  },
  async verify(input, ctx) {
    const left = (await diff(ctx, input)).flatMap((d) => d.changes)
    return left.length === 0
      ? { ok: true, detail: `IPVS matches the inventory (${scope(input)})` }
      : { ok: false, detail: `still differs: ${left.map((c) => c.note).join('; ')}` }
  },
})

/** Per director: the changes its table needs. */
async function diff(ctx: LvsContext, input: ReconcileInput) {
  const byDirector = new Map<string, LvsTarget[]>()
  for (const target of await targetsOf(ctx, input.service)) {
    const list = byDirector.get(target.director) ?? []
    list.push(target)
    byDirector.set(target.director, list)
  }
  const out: { director: ReturnType<typeof onDirector>; changes: Change[] }[] = []
  for (const [node, targets] of byDirector) {
    const director = onDirector(ctx, node)
    const table = await readTable(director)
    const options = { prune: input.service === undefined, keepDrained: input.keep_drained }
    out.push({ director, changes: planReconcile(targets, table, options) })
  }
  return out
}

async function targetsOf(ctx: LvsContext, service: string | undefined): Promise<LvsTarget[]> {
  if (service) return [await resolveTarget(ctx.inventory, service)]
  const names = ctx.inventory.config.services.filter((s) => s.lvs).map((s) => s.name)
  return Promise.all(names.map((name) => resolveTarget(ctx.inventory, name)))
}

/** The tool's error, saying how far reconcile got (the table is left part-way: run it again). */
function progressError(error: unknown, change: Change, done: number, total: number): unknown {
  if (!(error instanceof PluginError)) return error
  return new PluginError('lvs', error.kind, error.toolMessage, {
    exitCode: error.exitCode,
    cause: error,
    context: `${change.note} (after ${done} of ${total} changes)`,
  })
}

function scope(input: ReconcileInput): string {
  return input.service ? `service ${input.service}` : 'every LVS service'
}
