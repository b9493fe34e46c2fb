// Quoting for the remote POSIX shell: every argument becomes exactly one literal word.

/**
 * Quotes one argument for `sh`: wrapped in single quotes, each `'` written as `'\''`.
 * Nothing inside single quotes is special to a POSIX shell, so `$(id)`, backticks,
 * `;`, newlines and globs arrive as literal text; the empty string stays one (empty) word.
 *
 * @example
 * quoteForShell("it's") // => 'it'\''s'
 */
export function quoteForShell(arg: string): string {
  if (arg.includes('\0')) throw new Error('[runner] an argument cannot contain a NUL byte')
  return `'${arg.replaceAll("'", `'\\''`)}'`
}

/** One remote command line: each argv element quoted, joined by spaces. */
export function shellCommandLine(argv: readonly string[]): string {
  return argv.map(quoteForShell).join(' ')
}
