// Runs ipvsadm on a director through the command runner: argv arrays only, failures mapped to
// typed errors, every command that changed something remembered for the action's result.
import { type PlannedCommand, type PluginContext, z } from '../../core/plugin/index.ts'
import { lvsError, toolError } from './errors.ts'
import { type IpvsTable, type LiveServer, serverId, serviceId } from './model.ts'
import { OutputError, parseCount, parseListing, parseSave } from './parse.ts'

/** The plugin's config block (`plugins: lvs: {...}` in tandem.yaml). */
export const LvsConfig = z.strictObject({
  /** Path of ipvsadm on the directors (tests point this at the lab simulator or VM). */
  ipvsadm: z.string().min(1).default('ipvsadm'),
  /** Per-command time limit, milliseconds. */
  command_timeout_ms: z.number().int().positive().default(10_000),
  /** How often wait_drained reads the connection counts, milliseconds. */
  poll_interval_ms: z.number().int().positive().default(1_000),
})
export type LvsConfig = z.output<typeof LvsConfig>
export type LvsContext = PluginContext<LvsConfig>

/** ipvsadm on one director. */
export interface Director {
  readonly node: string
  /** Runs `ipvsadm ...args`; returns stdout or throws a typed PluginError. */
  run(args: string[], why?: string): Promise<string>
  /** The full argv (binary first) of `ipvsadm ...args`, for plans. */
  plan(args: string[], note: string): PlannedCommand
  /** Commands run so far that were meant to change the table. */
  readonly changes: PlannedCommand[]
}

/**
 * ipvsadm on `node` (over ssh when the inventory says so; the runner decides).
 *
 * @example
 * const director = onDirector(ctx, 'director')
 * await director.run(['-e', '-t', '192.0.2.10:80', '-r', '198.51.100.11:80', '-m', '-w', '0'])
 */
export function onDirector(ctx: LvsContext, node: string): Director {
  const changes: PlannedCommand[] = []
  const plan = (args: string[], note: string): PlannedCommand => ({
    argv: [ctx.config.ipvsadm, ...args],
    node,
    note,
  })
  return {
    node,
    changes,
    plan,
    async run(args, why) {
      const argv = [ctx.config.ipvsadm, ...args]
      let result: Awaited<ReturnType<typeof ctx.runner.run>>
      try {
        const timeoutMs = ctx.config.command_timeout_ms
        result = await ctx.runner.run({ argv, node, timeoutMs, signal: ctx.signal })
      } catch (cause) {
        throw lvsError(
          'COMMAND_FAILED',
          `cannot run ${argv.join(' ')} on ${node}: ${String(cause)}`,
          cause,
        )
      }
      if (result.code !== 0 || result.timedOut)
        throw toolError(result, `${argv.join(' ')} on ${node}`)
      if (why) changes.push(plan(args, why))
      return result.stdout
    },
  }
}

/**
 * The director's table: rules from `-S -n`, thresholds and connection counts from
 * `-Ln --thresholds` (the only place ipvsadm shows thresholds).
 */
export async function readTable(director: Director): Promise<IpvsTable> {
  const rules = await director.run(['-S', '-n'])
  const listing = await director.run(['-Ln', '--thresholds'])
  try {
    const table = parseSave(rules)
    const rows = parseListing(listing)
    for (const service of table) {
      const columns = rows.get(serviceId(service.ref))
      for (const server of service.servers)
        applyThresholds(server, columns?.servers.get(serverId(server)))
    }
    return table
  } catch (error) {
    if (!(error instanceof OutputError)) throw error
    throw lvsError('UNPARSABLE_OUTPUT', `${error.message} (from ${director.node})`, error)
  }
}

/** `Uthreshold Lthreshold ActiveConn InActConn` of one server. */
function applyThresholds(server: LiveServer, columns: string[] | undefined): void {
  if (!columns) return
  const [upper, lower, active, inactive] = columns.map(parseCount)
  Object.assign(server, { upper, lower, active, inactive })
}
