// Who asked decides what may run: a step whose action needs a scope its requester lacks is refused.
import type { ActionDefinition } from '../plugin/index.ts'
import { holdsScope, type Requester } from '../plugin-host/index.ts'
import type { Refusal } from './types.ts'

/**
 * The refusal for a step the run's requester may not ask for, checked where the step executes
 * (whatever path queued the run). A run without a requester was fired by an event and runs as
 * the daemon, which may do whatever its policies say.
 *
 * @example
 * requesterRefusal({ name: 'ops', scopes: ['operate'] }, 'fence.fence', fenceAction)
 * // { guard: 'scope', reason: 'fence.fence needs the "fence" scope; ops holds operate' }
 */
export function requesterRefusal(
  requester: Requester | undefined,
  uses: string,
  action: Pick<ActionDefinition, 'scope'>,
): Refusal | undefined {
  if (!requester) return undefined
  // An action without a valid scope (a plugin that skipped the registry) needs the most.
  const needed = action.scope ?? 'fence'
  if (holdsScope(requester.scopes, needed)) return undefined
  return {
    guard: 'scope',
    reason: `${uses} needs the "${needed}" scope; ${requester.name} holds ${requester.scopes.join(', ') || 'none'}`,
  }
}

/** The requester stored in a run's trigger, if it is one (rows are JSON: checked, not trusted). */
export function storedRequester(trigger: unknown): Requester | undefined {
  const r = (trigger as { requester?: unknown } | null)?.requester as Partial<Requester> | undefined
  if (!r || typeof r.name !== 'string' || !Array.isArray(r.scopes)) return undefined
  return { name: r.name, scopes: r.scopes.filter((s): s is string => typeof s === 'string') }
}
