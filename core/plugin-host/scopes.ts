// The scope ladder callers hold against the scope an action declares: who may ask for what.

/** Scopes a caller can hold; `ingest` stands aside (it may only post alerts), `admin` holds all. */
export const CALLER_SCOPES = ['read', 'operate', 'fence', 'ingest', 'admin'] as const
export type CallerScope = (typeof CALLER_SCOPES)[number]

const LADDER: readonly string[] = ['read', 'operate', 'fence', 'admin']

/**
 * True when a caller holding `held` may do what needs `needed`. Scopes form a ladder,
 * read < operate < fence < admin: `operate` changes weights and restarts, `fence` may also
 * power nodes off and move workloads between nodes.
 *
 * @example
 * holdsScope(['operate'], 'read') // true
 * holdsScope(['operate'], 'fence') // false
 */
export function holdsScope(held: readonly string[], needed: string): boolean {
  if (held.includes('admin') || held.includes(needed)) return true
  const rank = LADDER.indexOf(needed)
  return rank >= 0 && held.some((s) => LADDER.indexOf(s) > rank)
}

/** Who asked for a run: an API token's name and scopes. Runs fired by events have none. */
export interface Requester {
  name: string
  scopes: string[]
}
