// The ping probe: one ICMP echo through the system's ping (iputils), which holds the raw-socket right.
import { pluginEnv } from './exec.ts'
import { type ProbeResult, result } from './result.ts'
import { runCaptured } from './spawn-capture.ts'

/** The program run; iputils' ping is what monitoring-plugins depends on. */
export const PING_BINARY = 'ping'

/**
 * Sends one echo request and waits up to `timeoutMs` for the reply. ok with the round-trip
 * time; timeout when no reply came; unknown when ping itself failed (bad address, no binary).
 *
 * @example
 * await probePing('127.0.0.1', 1000) // { status: 'ok', detail: 'reply from 127.0.0.1 in 0.05 ms', data: { rttMs: 0.05 } }
 */
export async function probePing(address: string, timeoutMs: number): Promise<ProbeResult> {
  const startedAt = performance.now()
  const waitSeconds = Math.max(0.2, timeoutMs / 1000).toFixed(1)
  // `--` so an address can never be read as an option, whatever the inventory says.
  const argv = [PING_BINARY, '-n', '-q', '-c', '1', '-W', waitSeconds, '--', address]
  const out = await runCaptured(argv, {
    timeoutMs: timeoutMs + 250,
    maxOutputBytes: 4096,
    env: pluginEnv(),
  })
  if (out.spawnError) return result('unknown', startedAt, `cannot run ping: ${out.spawnError}`)
  if (out.timedOut || out.code === 1)
    return result('timeout', startedAt, `no echo reply from ${address} within ${timeoutMs} ms`)
  if (out.code !== 0) {
    const why = out.stderr.trim().split('\n')[0] || `exit ${out.code ?? out.signal}`
    return result('unknown', startedAt, `ping ${address}: ${why}`)
  }
  const rtt = /= [\d.]+\/([\d.]+)\//.exec(out.stdout)
  const rttMs = rtt ? Number(rtt[1]) : undefined
  const detail = `reply from ${address}${rttMs === undefined ? '' : ` in ${rttMs} ms`}`
  return result('ok', startedAt, detail, rttMs === undefined ? undefined : { rttMs })
}
