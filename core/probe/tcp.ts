// The tcp probe: a connect to address:port, closed as soon as it succeeds.
import { connect } from 'node:net'
import { armDeadline } from './deadline.ts'
import { type ProbeResult, result, socketFailure, timedOut } from './result.ts'

/**
 * Connects and hangs up. ok on connect; critical on refusal or reset; timeout when the
 * handshake does not finish within `timeoutMs`. Never throws.
 *
 * @example
 * const r = await probeTcp('127.0.0.1', 22, 1000) // { status: 'ok', latencyMs: 0.4, ... }
 */
export function probeTcp(address: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return createTcpProbe(address, port)(timeoutMs)
}

/** A tcp probe bound to one target; its ok detail is built once, not per check. */
export function createTcpProbe(
  address: string,
  port: number,
): (timeoutMs: number) => Promise<ProbeResult> {
  const connected = `connected to ${address}:${port}`
  return (timeoutMs) => handshake(address, port, timeoutMs, connected)
}

function handshake(
  address: string,
  port: number,
  timeoutMs: number,
  connected: string,
): Promise<ProbeResult> {
  const startedAt = performance.now()
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, noDelay: true })
    const deadline = armDeadline(timeoutMs, (stalled) =>
      finish(timedOut(startedAt, timeoutMs, 'connect', stalled)),
    )
    let done = false
    function finish(outcome: ProbeResult): void {
      if (done) return
      done = true
      deadline.cancel()
      socket.destroy()
      resolve(outcome)
    }
    socket.once('connect', () => finish(result('ok', startedAt, connected)))
    socket.on('error', (error) => finish(socketFailure(startedAt, 'connect', error)))
  })
}
