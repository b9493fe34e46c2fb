// The `tandem` command line: one file per command in commands/, listed once here.
import { ConfigError, TandemError } from '../errors.ts'
import type { Command, Io } from './command.ts'
import { approveCommand, denyCommand } from './commands/approve.ts'
import { checkCommand } from './commands/check.ts'
import { demoCommand } from './commands/demo.ts'
import { execCommand } from './commands/exec.ts'
import { exportCommand } from './commands/export.ts'
import { importCommand } from './commands/import.ts'
import { journalCommand } from './commands/journal.ts'
import { labCommand } from './commands/lab.ts'
import { planCommand } from './commands/plan.ts'
import { runCommand } from './commands/run.ts'
import { simulateCommand } from './commands/simulate.ts'
import { tokenCommand } from './commands/token.ts'

export type { Command, Io } from './command.ts'

/** Every command, in the order `tandem --help` lists them. */
export const commands: Command[] = [
  checkCommand,
  runCommand,
  demoCommand,
  labCommand,
  planCommand,
  simulateCommand,
  execCommand,
  journalCommand,
  approveCommand,
  denyCommand,
  tokenCommand,
  importCommand,
  exportCommand,
]

const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}

/**
 * Runs the CLI and returns the exit code; a user error is one clear line, never a stack trace.
 *
 * @example
 * process.exitCode = await main(['check', '--config', 'tandem.yaml'])
 */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  if (io === processIo) endQuietlyOnBrokenPipe()
  const [name, ...args] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help())
    return name ? 0 : 2
  }
  if (name === '--version') {
    io.out('tandem 0.1.0\n')
    return 0
  }
  const command = commands.find((c) => c.name === name)
  if (!command) {
    io.err(`tandem: unknown command "${name}"\n\n${help()}`)
    return 2
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`${command.summary}\n\nusage: ${command.usage}\n`)
    return 0
  }
  try {
    return await command.run(args, io)
  } catch (error) {
    return reportError(error, command, io)
  }
}

/**
 * `tandem journal | head`: once the reader has gone, there is nobody left to tell anything, so
 * the command ends at once and without a stack trace, as `git log | head` does.
 */
function endQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error
      process.exit(0)
    })
}

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
  return `tandem: one inventory and one remediation policy for LVS and HA clusters\n\nusage: tandem <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "tandem <command> --help" for a command's options.\n`
}

function reportError(error: unknown, command: Command, io: Io): number {
  if (error instanceof ConfigError) {
    io.err(`${error.message}\n`)
    return 1
  }
  if (error instanceof TandemError) {
    io.err(`tandem ${command.name}: ${error.message}\n`)
    return 1
  }
  const code = (error as { code?: string }).code
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.err(`tandem ${command.name}: ${(error as Error).message}\nusage: ${command.usage}\n`)
    return 2
  }
  io.err(`tandem ${command.name}: internal error: ${(error as Error).stack ?? String(error)}\n`)
  return 70
}
