// The shape of a CLI command and the shared option parsing every command uses.
import { type ParseArgsConfig, parseArgs } from 'node:util'

/** Where a command writes; tests pass buffers, the real CLI passes process streams. */
export interface Io {
  out(text: string): void
  err(text: string): void
}

export interface Command {
  name: string
  summary: string
  usage: string
  /** Returns the process exit code. */
  run(args: string[], io: Io): Promise<number>
}

/** parseArgs with tandem's conventions: strict, and a usage error instead of a stack trace. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  return parseArgs({ args, options, strict: true, allowPositionals })
}
