// The scope ladder actions declare and callers hold: who may ask for what, in one place.

/** What an action needs from whoever asked for it (the plugin declares it per action). */
export const ACTION_SCOPES = ['read', 'operate', 'fence'] as const
export type ActionScope = (typeof ACTION_SCOPES)[number]

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
