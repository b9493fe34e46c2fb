// `tandem exec`: one action by hand becomes a one-step plan through the same engine.
import { TandemError } from '../errors.ts'
import type { Requester } from '../plugin-host/index.ts'
import type { Plan } from '../policy/index.ts'
import { stepContext } from './context.ts'
import type { Engine } from './engine.ts'

export interface ManualOptions {
  actor?: string
  dryRun?: boolean
  /** Attach to an incident (e.g. the one whose fence must count for a manual relocate). */
  incidentId?: string
  timeoutMs?: number
  reason?: string
  /** This request's identity (an API request's); default: a fresh one, every call its own run. */
  runKey?: string
  /** Who asked (an API token): every step is checked against its scopes. */
  requester?: Requester
}

const DEFAULT_TIMEOUT_MS = 120_000

/**
 * The plan of a manual action: the input is validated by the action's schema first, the
 * commands come from `describe`. Maintenance windows do not hold a human's own action.
 */
export async function manualPlan(
  engine: Engine,
  uses: string,
  input: Record<string, unknown>,
  options: ManualOptions,
): Promise<Plan> {
  const { plugin, action } = engine.registry.action(uses)
  const parsed = action.input.safeParse(input)
  if (!parsed.success)
    throw new TandemError(
      'BAD_REQUEST',
      `[${uses}] ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`,
    )
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const ctx = stepContext(engine.context, engine.configOf(plugin), {
    signal: new AbortController().signal,
    timeoutMs,
    dryRun: true,
  })
  const commands = await action.describe(parsed.data, ctx)
  const target = action.target?.(parsed.data) ?? uses
  const now = engine.clock.now()
  const actor = options.actor ?? 'operator'
  return {
    policy: 'manual',
    file: '',
    event: {
      type: 'manual',
      subject: uses,
      at: now,
      labels: { severity: 'info', actor, ...stringFields(input) },
      payload: { reason: options.reason ?? '' },
    },
    incidentKey: `manual:${target}`,
    steps: [
      {
        id: '1',
        name: uses,
        uses,
        input: parsed.data as Record<string, unknown>,
        commands,
        timeoutMs,
        retry: { count: 0, backoffMs: 0 },
        verify: true,
        onFailure: 'escalate',
      },
    ],
    guards: { requireQuorum: true, maintenanceAware: false, approval: 'none' },
    notify: { channels: [], on: [] },
    dryRun: options.dryRun ?? false,
  }
}

function stringFields(input: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of ['node', 'service', 'vm'])
    if (typeof input[key] === 'string') out[key] = input[key] as string
  return out
}
