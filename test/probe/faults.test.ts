// Hostile targets through the whole loop: every one ends as a typed failure in time; nothing leaks.
import { once } from 'node:events'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { TandemEvent } from '../../core/events/index.ts'
import { startMonitoring } from '../../core/health/index.ts'
import { Config, createInventory } from '../../core/inventory/index.ts'
import { isAlive, quietLog } from '../../core/probe/test-support.ts'
import { openStore } from '../../core/store/index.ts'

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})
const tls = (name: string) =>
  readFileSync(new URL(`../../core/probe/testdata/${name}`, import.meta.url), 'utf8')

async function listen(server: Server): Promise<number> {
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as { port: number }).port
}

const raw = (onData: (socket: Socket) => void) =>
  listen(
    createServer((socket) => {
      socket.on('error', () => {})
      socket.once('data', () => onData(socket))
    }),
  )

describe('hostile targets', () => {
  it('turn into typed failures within their timeouts, and stopping leaves nothing behind', async () => {
    const pids = join(mkdtempSync(join(tmpdir(), 'tandem-faults-')), 'pids')
    const ports = {
      hang: await raw(() => {}),
      reset: await raw((s) => s.resetAndDestroy()),
      garbage: await raw((s) => s.end('\u0000\u0001\u0002 not http at all\r\n\r\n')),
      huge: await raw((s) => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n')
        const block = Buffer.alloc(64 * 1024, 'x')
        const pump = () => {
          while (!s.destroyed && s.write(block));
        }
        s.on('drain', pump)
        pump()
      }),
      tls: await listen(
        createHttpsServer({ cert: tls('selfsigned.pem'), key: tls('selfsigned.key') }, (_q, r) =>
          r.end('ok'),
        ) as unknown as Server,
      ),
    }
    const fast = { interval: '300ms', timeout: '400ms', rise: 1, fall: 1 }
    const node = (name: string, checks: Record<string, unknown>[]) => ({
      name,
      address: '127.0.0.1',
      checks: checks.map((c) => ({ ...fast, ...c })),
    })
    const inventory = createInventory(
      Config.parse({
        monitor: { node_down_quorum: 1, blind_threshold: 1 },
        nodes: [
          node('hang', [{ name: 'http', kind: 'http', port: ports.hang }]),
          node('reset', [{ name: 'http', kind: 'http', port: ports.reset }]),
          node('garbage', [{ name: 'http', kind: 'http', port: ports.garbage }]),
          node('huge', [
            {
              name: 'http',
              kind: 'http',
              port: ports.huge,
              expect: { status: [200], body_contains: 'needle' },
            },
          ]),
          node('tls', [{ name: 'https', kind: 'https', port: ports.tls }]),
          node('stubborn', [
            {
              name: 'plugin',
              kind: 'exec',
              command: ['/bin/sh', '-c', `trap "" TERM; sleep 30 & echo $! >> ${pids}; wait`],
            },
          ]),
          node('nagios', [
            {
              name: 'check_http',
              kind: 'exec',
              port: ports.hang,
              timeout: '3s',
              command: [
                '/usr/lib/nagios/plugins/check_http',
                '-H',
                '{address}',
                '-p',
                '{port}',
                '-t',
                '1',
              ],
            },
          ]),
        ],
      }),
    )
    const store = await openStore(':memory:')
    const seen: TandemEvent[] = []
    const handlesBefore = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'TCPSocketWrap').length
    const monitoring = await startMonitoring({
      inventory,
      store,
      log: quietLog,
      onEvents: (events) => seen.push(...events),
    })
    const deadline = Date.now() + 15_000
    while (seen.filter((e) => e.type === 'check.failed').length < 7 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    const sockets = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length
    expect(sockets()).toBeGreaterThan(handlesBefore) // kept-alive probe connections are open now
    await monitoring.stop()
    store.close()

    const failed = Object.fromEntries(
      seen
        .filter((e) => e.type === 'check.failed')
        .map((e) => {
          const [last] = (
            e.payload.evidence as { status: string; detail: string; latencyMs: number }[]
          ).slice(-1)
          return [e.subject, last!]
        }),
    )
    expect(failed['node/hang/http']!.status).toBe('timeout')
    expect(failed['node/hang/http']!.detail).toMatch(/^timeout after 400 ms \(response[;)]/)
    expect(failed['node/reset/http']).toMatchObject({
      status: 'critical',
      detail: 'response ECONNRESET',
    })
    expect(failed['node/garbage/http']).toMatchObject({ status: 'critical' })
    expect(failed['node/garbage/http']!.detail).toMatch(/^response malformed status line/)
    expect(failed['node/huge/http']).toMatchObject({
      status: 'critical',
      detail: 'HTTP 200 OK but the body lacks "needle"',
    })
    expect(failed['node/tls/https']).toMatchObject({
      status: 'critical',
      detail: 'tls DEPTH_ZERO_SELF_SIGNED_CERT',
    })
    expect(failed['node/stubborn/plugin']!.status).toBe('timeout')
    expect(failed['node/stubborn/plugin']!.detail).toMatch(
      /^timeout after 400 ms \(process group killed[;)]/,
    )
    expect(failed['node/nagios/check_http']!.status).toBe('critical')
    expect(failed['node/nagios/check_http']!.detail).toMatch(/timeout after 1 seconds/i)
    for (const result of Object.values(failed)) expect(result.latencyMs).toBeLessThan(3_500)

    // Nothing left: no probe sockets, no plugin children.
    await new Promise((r) => setTimeout(r, 200))
    const handlesAfter = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'TCPSocketWrap').length
    expect(handlesAfter).toBeLessThanOrEqual(handlesBefore)
    const alive = readFileSync(pids, 'utf8').trim().split('\n').map(Number).filter(isAlive)
    expect(alive).toEqual([])
  })
})
