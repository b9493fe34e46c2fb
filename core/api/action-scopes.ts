// The scope a request for an action or a policy needs, read from the actions' own declarations.
import type { ActionScope } from '../plugin/index.ts'
import { allows, type Caller } from './auth.ts'
import type { ApiContext } from './deps.ts'
import { HttpError } from './http-error.ts'

/**
 * The scope `uses` declares. Without a registry, or for an unknown action, the answer is the
 * top of the ladder: what the API cannot read it does not hand out.
 */
export function actionScope(api: ApiContext, uses: string): ActionScope {
  try {
    return api.registry?.action(uses).action.scope ?? 'fence'
  } catch {
    return 'fence'
  }
}

/** 403 unless the caller holds the scope `uses` declares; `what` says what was asked. */
export function requireActionScope(
  api: ApiContext,
  caller: Caller | undefined,
  uses: string,
  what = uses,
): void {
  const needed = actionScope(api, uses)
  if (!allows(caller?.scopes ?? [], needed))
    throw new HttpError(403, 'FORBIDDEN', `[api] ${what} needs the "${needed}" scope`)
}

/**
 * 403 naming the first step of policy `name` whose action needs a scope the caller lacks. Every
 * step counts, also those a condition may skip: the caller must be allowed the whole plan.
 * An unknown policy passes here; the daemon records it as not matched.
 */
export function requirePolicyScopes(api: ApiContext, caller: Caller | undefined, name: string) {
  const policy = api.policies?.().find((p) => p.name === name)
  for (const step of policy?.steps ?? [])
    requireActionScope(api, caller, step.uses, `policy ${name} step "${step.name}" (${step.uses})`)
}
