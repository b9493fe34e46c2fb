// @ts-check
// glibc getopt(3) for the lab's C-tool simulators: short options, argument permutation, its messages.

/**
 * Parses `args` like glibc getopt with `optstring` ("ab:c"): returns the options in order (a
 * missing argument or unknown letter becomes `?`, with glibc's message on stderr) and the
 * non-option arguments, which glibc permutes to the end.
 * @param {string[]} args
 * @param {string} optstring
 * @param {string} prog argv[0] as the tool was invoked
 * @returns {{ opts: { opt: string, arg?: string }[], rest: string[] }}
 */
export function getopt(args, optstring, prog) {
  /** @type {{ opt: string, arg?: string }[]} */
  const opts = []
  /** @type {string[]} */
  const rest = []
  for (let i = 0; i < args.length; i++) {
    const word = args[i] ?? ''
    if (word === '--') {
      rest.push(...args.slice(i + 1))
      break
    }
    if (!word.startsWith('-') || word === '-') {
      rest.push(word)
      continue
    }
    for (let j = 1; j < word.length; j++) {
      const letter = word[j] ?? ''
      const at = letter === ':' ? -1 : optstring.indexOf(letter)
      if (at < 0) {
        process.stderr.write(`${prog}: invalid option -- '${letter}'\n`)
        opts.push({ opt: '?' })
        continue
      }
      if (optstring[at + 1] !== ':') {
        opts.push({ opt: letter })
        continue
      }
      const inline = word.slice(j + 1)
      const arg = inline || args[++i]
      if (arg === undefined) {
        process.stderr.write(`${prog}: option requires an argument -- '${letter}'\n`)
        opts.push({ opt: '?' })
      } else opts.push({ opt: letter, arg })
      break
    }
  }
  return { opts, rest }
}
