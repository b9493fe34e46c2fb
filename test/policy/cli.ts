// Test helper: runs a CLI command in-process and captures what it writes.
import type { Command } from '../../core/cli/index.ts'

export async function runCli(command: Command, args: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await command.run(args, { out: (t) => out.push(t), err: (t) => err.push(t) })
  return { code, out: out.join(''), err: err.join('') }
}

/** The demo config at the repository root. */
export const demoConfig = new URL('../../tandem.yaml', import.meta.url).pathname
export const examplePolicies = new URL('../../policies', import.meta.url).pathname
