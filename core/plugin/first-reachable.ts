// Runs a cluster command on the first node that answers: any member can speak for the cluster.
import type { CommandResult, CommandRunner, CommandSpec } from './types.ts'

/** The outcome of {@link runOnFirstReachable}: what ran, where, and which nodes were passed over. */
export interface ReachableResult {
  result: CommandResult
  /** The node that answered; undefined when the command ran locally. */
  node?: string
  /** Nodes tried first that did not answer, with the line that said why. */
  skipped: { node: string; reason: string }[]
}

/** What a tool said, stdout then stderr, trimmed: the words a PluginError keeps. */
export function toolOutput(result: CommandResult): string {
  return [result.stdout.trim(), result.stderr.trim()].filter(Boolean).join('\n')
}

/** True when a command never reached its node: OpenSSH exits 255 and says `ssh: ...`. */
export function unreachable(result: CommandResult): boolean {
  return result.code === 255 && /^ssh: /m.test(result.stderr)
}

/**
 * Runs `spec` on each of `nodes` in turn until one answers; with no nodes, runs it locally.
 * `notHere` marks answers from a node that is up but cannot act for the cluster (e.g. cman is
 * not running there; a RegExp is matched against the tool's output), which are passed over too.
 * The last answer is returned when none does.
 *
 * @example
 * const { result, node } = await runOnFirstReachable(ctx.runner, ['node1', 'node2'], {
 *   argv: ['clustat', '-x'],
 * }, /Could not connect to CMAN/)
 */
export async function runOnFirstReachable(
  runner: CommandRunner,
  nodes: readonly string[],
  spec: Omit<CommandSpec, 'node'>,
  notHere: RegExp | ((result: CommandResult) => boolean) = () => false,
): Promise<ReachableResult> {
  const skip =
    typeof notHere === 'function' ? notHere : (r: CommandResult) => notHere.test(toolOutput(r))
  if (nodes.length === 0) return { result: await runner.run(spec), skipped: [] }
  const skipped: ReachableResult['skipped'] = []
  let last: ReachableResult | undefined
  for (const node of nodes) {
    const result = await runner.run({ ...spec, node })
    last = { result, node, skipped }
    if (!unreachable(result) && !skip(result)) return last
    skipped.push({ node, reason: firstLine(result.stderr || result.stdout) })
  }
  return last as ReachableResult
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? ''
}
