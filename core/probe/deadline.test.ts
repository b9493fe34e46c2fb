import { once } from 'node:events'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Check } from '../inventory/index.ts'
import { createHttpProbe } from './http.ts'
import type { CheckTarget } from './targets.ts'

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

/** Holds the event loop the way a long synchronous store write or render does. */
function blockLoop(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

async function listen(server: Server): Promise<number> {
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

function httpTarget(port: number): CheckTarget {
  return {
    id: 'web/node1/http',
    scope: 'service',
    check: Check.parse({ name: 'http', kind: 'http' }),
    node: 'node1',
    service: 'web',
    address: '127.0.0.1',
    port,
  }
}

describe('probe deadlines when tandem itself stalls', () => {
  it('does not call a healthy server in this very process timed out after the loop was blocked', async () => {
    // The demo runs the lab's servers in the daemon's process: while its loop is blocked the
    // server cannot answer either, and the answer arrives the moment the loop runs again.
    const port = await listen(createHttpServer((_req, res) => res.end('ok')))
    const probe = createHttpProbe(httpTarget(port))
    const answer = probe.run(300)
    blockLoop(700)
    const r = await answer
    probe.close()
    expect(r).toMatchObject({ status: 'ok', detail: 'HTTP 200 OK' })
  })

  it('still times out a server that does not answer, and says how long tandem stalled', async () => {
    const port = await listen(createHttpServer(() => {}))
    const probe = createHttpProbe(httpTarget(port))
    const started = performance.now()
    const answer = probe.run(200)
    blockLoop(300)
    const r = await answer
    probe.close()
    expect(r.status).toBe('timeout')
    expect(r.detail).toMatch(
      /^timeout after 200 ms \(response; tandem stalled \d+ ms, not counted\)$/,
    )
    // The stall is given back, never more than twice the timeout: a starved monitor still decides.
    expect(performance.now() - started).toBeGreaterThanOrEqual(450)
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('keeps the plain timeout when nothing stalled', async () => {
    const port = await listen(createHttpServer(() => {}))
    const probe = createHttpProbe(httpTarget(port))
    const started = performance.now()
    const r = await probe.run(150)
    probe.close()
    expect(r.status).toBe('timeout')
    expect(performance.now() - started).toBeLessThan(150 + 1000)
  })
})
