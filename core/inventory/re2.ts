// User-supplied patterns (silence and route matchers, probe body checks) through RE2: linear time, never a stalled event loop.
import { RE2JS } from 're2js'

/** Longest pattern accepted anywhere a user writes one. */
export const MAX_PATTERN_CHARS = 1024

/** A compiled RE2 pattern: `matches` is anchored at both ends (Alertmanager), `find` searches. */
export interface Pattern {
  matches(value: string): boolean
  find(value: string): boolean
}

/** Why a pattern was refused: the engine's words and the 0-based position of the fault. */
export interface PatternProblem {
  message: string
  position: number
}

/**
 * Compiles `source` with Go RE2 semantics (the syntax Alertmanager's `=~` uses). Matching time
 * grows linearly with the input, whatever the pattern: `(.*.*.*)*X` cannot backtrack.
 * Throws a PatternError naming the position of the fault.
 *
 * @example
 * compilePattern('web|db').matches('web') // true
 * compilePattern('web').matches('webserver') // false: anchored
 */
export function compilePattern(source: string): Pattern {
  const compiled = compile(source)
  if (!(compiled instanceof RE2JS)) throw new PatternError(compiled)
  // One program for both: `matches` is RE2's full match (^…$ around the whole alternation), `test`
  // searches. Compiling costs milliseconds for a pattern at the cap: once, not once per use.
  return {
    matches: (value) => compiled.matches(value),
    find: (value) => compiled.test(value),
  }
}

/** The problem with `source`, or undefined when it compiles (used where input is validated). */
export function patternProblem(source: string): PatternProblem | undefined {
  const compiled = compile(source)
  return compiled instanceof RE2JS ? undefined : compiled
}

export class PatternError extends Error {
  readonly position: number

  constructor(problem: PatternProblem) {
    super(`${problem.message} at position ${problem.position}`)
    this.name = 'PatternError'
    this.position = problem.position
  }
}

function compile(source: string): RE2JS | PatternProblem {
  if (source.length > MAX_PATTERN_CHARS)
    return {
      message: `pattern longer than ${MAX_PATTERN_CHARS} characters`,
      position: MAX_PATTERN_CHARS,
    }
  try {
    return RE2JS.compile(source)
  } catch (error) {
    const { error: reason, input } = error as { error?: string; input?: string }
    const at = input ? source.indexOf(input) : -1
    return {
      message: `${reason ?? (error as Error).message}${input ? `: \`${input}\`` : ''} (RE2 syntax)`,
      position: Math.max(at, 0),
    }
  }
}
