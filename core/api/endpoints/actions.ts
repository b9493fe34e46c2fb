// POST /api/v1/actions: a manual action or policy run, recorded once per Idempotency-Key and queued for the executor.
import { eq } from 'drizzle-orm'
import { z } from 'zod'
import { idempotencyKeys } from '../../store/index.ts'
import { queueAction, storedKey } from '../action-queue.ts'
import { requireActionScope, requirePolicyScopes } from '../action-scopes.ts'
import type { Caller } from '../auth.ts'
import { canonicalHash } from '../canonical-json.ts'
import type { ApiContext } from '../deps.ts'
import { HttpError } from '../http-error.ts'
import { endpoint } from '../route.ts'

const ActionRequest = z
  .object({
    /** A plugin action, e.g. `lvs.drain`. */
    uses: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z][a-z0-9_]*$/, 'expected plugin.action')
      .optional(),
    /** Or a policy with a `manual` trigger, by name. */
    policy: z.string().min(1).max(200).optional(),
    with: z
      .record(z.string().max(64), z.unknown())
      .refine((w) => Object.keys(w).length <= 32, 'at most 32 inputs')
      .default({}),
    dryRun: z.boolean().default(false),
    reason: z.string().trim().min(1).max(1000),
  })
  .strict()
  .refine((r) => (r.uses === undefined) !== (r.policy === undefined), {
    message: 'give exactly one of uses or policy',
    path: ['uses'],
  })

const ActionAccepted = z.object({
  runId: z.string(),
  eventId: z.number().int(),
  status: z.literal('queued'),
  dryRun: z.boolean(),
  idempotencyKey: z.string(),
})

export const requestAction = endpoint({
  summary: 'Queue a manual action (or a manual policy run) for the executor',
  description:
    'Requires an `Idempotency-Key` header, namespaced per token: the same key from the same token again returns the first answer (with `Idempotent-Replayed: true`) and queues nothing; the same key with a different body (compared with keys sorted) is 422. Records a `manual` event and a run with status `queued`, which the executor picks up, plans and runs as the requesting token, through the same guards, journal and audit as a policy. Each action needs the scope it declares (`fence` for fencing and moving workloads off a node); a policy request needs, for every step of the policy, the scope of its action (403 names the step). `dryRun` holds for policy requests too.',
  tag: 'actions',
  body: ActionRequest,
  response: ActionAccepted,
  status: 202,
  handler: async ({ c, api, body, caller }) => {
    const key = c.req.header('idempotency-key')?.trim() ?? ''
    if (!/^[A-Za-z0-9_.:-]{8,200}$/.test(key))
      throw new HttpError(
        400,
        'BAD_REQUEST',
        '[api] send an Idempotency-Key header (8–200 characters: letters, digits, _ . : -)',
      )
    if (body.uses) checkAction(api, caller, body.uses, body.with)
    else if (body.policy) requirePolicyScopes(api, caller, body.policy)
    const requestHash = canonicalHash(body)
    const accepted = await queueAction(api, caller, body, key, requestHash)
    if (accepted) return c.json(accepted, 202)
    const [prior] = await api.store.db
      .select()
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.key, storedKey(caller, key)))
    if (!prior) throw new HttpError(409, 'STORE_CONFLICT', '[api] conflicting action request')
    if (prior.response.requestHash !== requestHash)
      throw new HttpError(
        422,
        'BAD_REQUEST',
        '[api] this Idempotency-Key was used with a different request',
      )
    c.header('Idempotent-Replayed', 'true')
    return c.json(prior.response.body as z.output<typeof ActionAccepted>, 202)
  },
})

function checkAction(
  api: ApiContext,
  caller: Caller | undefined,
  uses: string,
  input: Record<string, unknown>,
): void {
  // An unknown action is a 400 naming the nearest one, before any scope is weighed.
  const action = api.registry?.action(uses).action
  requireActionScope(api, caller, uses)
  if (!action) return
  // Wrapped so the issues name the request field (`with.node`).
  z.object({ with: action.input }).parse({ with: input })
}
