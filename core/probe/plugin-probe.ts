// Plugin probes (`kind: rgmanager.membership`): a plugin's probe run with a deadline, never throwing.
import type { z } from 'zod'
import { TandemError } from '../errors.ts'
import { nearestName } from '../inventory/index.ts'
import type { PluginContext, PluginDefinition } from '../plugin/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import { armDeadline, type Deadline } from './deadline.ts'
import { parseFacts } from './live-facts.ts'
import { elapsedMs, type ProbeResult, type ProbeStatus, result, timedOut } from './result.ts'
import type { CheckTarget } from './targets.ts'

/** Builds the ctx a plugin probe runs with (the daemon passes the executor's runner, secrets, log). */
export type PluginContextFactory = (
  plugin: PluginDefinition,
  run: { signal: AbortSignal; timeoutMs: number },
) => PluginContext

const STATUSES = new Set<ProbeStatus>(['ok', 'warning', 'critical', 'unknown', 'timeout'])

/**
 * Compiles a plugin-probe target. The probe's input is the check's `with:` block, where
 * `{node}`, `{address}`, `{port}` and `{service}` in strings become the target's values
 * (e.g. `with: { node: '{node}' }` asks the cluster about the node this check runs for).
 * Throws CONFIG_INVALID for an unknown probe kind or a `with:` block its schema refuses.
 *
 * @example
 * const run = createPluginProbe(target, registry, contextFor)
 * await run(5000) // { status: 'ok', detail: '3 members, quorate', data: { members: [...] } }
 */
export function createPluginProbe(
  target: CheckTarget,
  registry: Registry,
  contextFor: PluginContextFactory,
): (timeoutMs: number) => Promise<ProbeResult> {
  const kind = target.check.kind
  const found = registry.probe(kind)
  if (!found) {
    const known = registry.plugins.flatMap((p) =>
      Object.keys(p.probes ?? {}).map((name) => `${p.name}.${name}`),
    )
    const near = nearestName(kind, known)
    throw new TandemError(
      'CONFIG_INVALID',
      `[probe] ${target.id}: unknown probe kind "${kind}"${near ? `; did you mean "${near}"?` : ''}`,
    )
  }
  const { plugin, probe } = found
  const input = probeInput(target, probe.input)
  return async (timeoutMs) => {
    const startedAt = performance.now()
    const controller = new AbortController()
    let deadline: Deadline | undefined
    const expired = new Promise<ProbeResult>((resolve) => {
      deadline = armDeadline(timeoutMs, (stalled) => {
        controller.abort()
        resolve(timedOut(startedAt, timeoutMs, 'plugin', stalled))
      })
    })
    const running = Promise.resolve()
      .then(() => probe.run(input, contextFor(plugin, { signal: controller.signal, timeoutMs })))
      .then(
        (outcome) => checked(outcome, startedAt, kind),
        (error: Error) => result('unknown', startedAt, error?.message ?? String(error)),
      )
    try {
      return await Promise.race([running, expired])
    } finally {
      deadline?.cancel()
    }
  }
}

function probeInput(target: CheckTarget, schema: z.ZodType): unknown {
  const parsed = schema.safeParse(substitute(target.check.with ?? {}, placeholders(target)))
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const field = issue?.path.length ? `with.${issue.path.join('.')}: ` : 'with: '
  throw new TandemError(
    'CONFIG_INVALID',
    `[probe] ${target.id}: ${field}${issue?.message ?? 'refused by the probe'}`,
    { cause: parsed.error },
  )
}

function placeholders(target: CheckTarget): Record<string, string> {
  return {
    '{node}': target.node,
    '{address}': target.address,
    '{port}': target.port === undefined ? '' : String(target.port),
    '{service}': target.service ?? '',
  }
}

/** Replaces placeholders in every string of a `with:` block (inventory data only). */
function substitute(value: unknown, values: Record<string, string>): unknown {
  if (typeof value === 'string') {
    let out = value
    for (const [key, replacement] of Object.entries(values)) out = out.replaceAll(key, replacement)
    return out
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, values))
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substitute(item, values)]),
    )
  return value
}

/** A plugin's result is data from outside core: keep only a well-formed one. */
function checked(outcome: ProbeResult, startedAt: number, kind: string): ProbeResult {
  if (!outcome || !STATUSES.has(outcome.status))
    return result('unknown', startedAt, `[${kind}] returned a malformed probe result`)
  const latencyMs = Number.isFinite(outcome.latencyMs) ? outcome.latencyMs : elapsedMs(startedAt)
  const { facts, problem } = parseFacts(outcome.facts)
  const said = typeof outcome.detail === 'string' ? outcome.detail : ''
  const detail = problem
    ? `${said}${said ? '; ' : ''}[${kind}] malformed ${problem} (ignored)`
    : said
  const out: ProbeResult = { status: outcome.status, latencyMs, detail }
  if (outcome.data && typeof outcome.data === 'object') out.data = outcome.data
  if (facts) out.facts = facts
  return out
}
