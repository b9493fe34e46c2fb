// Command lines written in configs (MISC_CHECK misc_path, ldirectord checkcommand) split into argv.
import type { Origin } from './draft.ts'
import { inputError } from './input.ts'

/** Splits like a POSIX shell does for plain words and quotes; anything shell-only is refused. */
export function splitCommand(text: string, at: Origin): string[] {
  if (/[|;&<>`$()]/.test(text.replace(/'[^']*'/g, '')))
    throw inputError(
      at,
      `command "${text}" needs a shell (pipes, redirections or variables); tandem runs argv only: wrap it in a script`,
    )
  const out: string[] = []
  const re = /'([^']*)'|"((?:\\.|[^"\\])*)"|(\S+)/g
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!)
  if (out.length === 0) throw inputError(at, 'empty command')
  return out
}

/** The reverse: one argv as a string a POSIX shell (and keepalived) reads back the same. */
export function joinCommand(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[\w@%+=:,./{}-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`))
    .join(' ')
}
