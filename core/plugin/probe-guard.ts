// Probes never throw: this times a probe body and turns a failure into a probe result that says why.
import { PluginError } from './define.ts'
import type { ProbeResult } from './types.ts'

/**
 * Runs `body`, adds its latency, and maps a thrown error to status `unknown` with the error's
 * message (`timeout` for a PluginError of kind `TIMEOUT`), so a broken tool reads as "could not
 * tell", never as healthy or as a crash of the probe scheduler.
 *
 * @example
 * run: (input, ctx) => guardProbe(async () => ({ status: 'ok', detail: await read(ctx) }))
 */
export async function guardProbe(
  body: () => Promise<Omit<ProbeResult, 'latencyMs'>>,
): Promise<ProbeResult> {
  const started = performance.now()
  const latency = () => Math.round(performance.now() - started)
  try {
    return { ...(await body()), latencyMs: latency() }
  } catch (error) {
    const timedOut = error instanceof PluginError && error.kind === 'TIMEOUT'
    return {
      status: timedOut ? 'timeout' : 'unknown',
      latencyMs: latency(),
      detail: error instanceof Error ? error.message : String(error),
    }
  }
}
