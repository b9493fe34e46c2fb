import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { Check } from '../inventory/index.ts'
import { createHttpProbe, type HttpProbe } from './http.ts'
import { createProber } from './prober.ts'
import type { CheckTarget } from './targets.ts'

const tls = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8')
const closers: (() => void)[] = []
afterEach(() => {
  for (const close of closers.splice(0)) close()
})

describe('http probe', () => {
  it('reuses one kept-alive connection across checks and reports the status line', async () => {
    const { port, connections, requests } = await httpServer((_req, res) => res.end('ok'))
    const probe = use(createHttpProbe(target({ kind: 'http' }, port)))
    for (let i = 0; i < 3; i++) {
      const r = await probe.run(2000)
      expect(r).toMatchObject({ status: 'ok', detail: 'HTTP 200 OK' })
    }
    expect(requests()).toBe(3)
    expect(connections()).toBe(1)
  })

  it('sends the method, path and Host header of the check', async () => {
    const seen: string[] = []
    const { port } = await httpServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.host}`)
      res.end()
    })
    const check = {
      kind: 'http',
      method: 'HEAD' as const,
      path: '/healthz?deep=1',
      host_header: 'web.test',
    }
    const r = await use(createHttpProbe(target(check, port))).run(2000)
    expect(r.status).toBe('ok')
    expect(seen).toEqual(['HEAD /healthz?deep=1 web.test'])
  })

  it('fails on an unexpected status and names what was expected', async () => {
    const { port } = await httpServer((_req, res) => {
      res.statusCode = 500
      res.end('boom')
    })
    const r = await use(
      createHttpProbe(target({ kind: 'http', expect: { status: [200, 204] } }, port)),
    ).run(2000)
    expect(r).toMatchObject({
      status: 'critical',
      detail: 'HTTP 500 Internal Server Error (expected 200|204)',
    })
  })

  it('matches body_contains and body_regex, also across chunks', async () => {
    const { port } = await httpServer((_req, res) => {
      res.write('status: al')
      setTimeout(() => res.end('l good, db=up'), 5)
    })
    const good = target(
      {
        kind: 'http',
        expect: { status: [200], body_contains: 'all good', body_regex: 'db=(up|ok)' },
      },
      port,
    )
    expect((await use(createHttpProbe(good)).run(2000)).status).toBe('ok')
    const bad = target({ kind: 'http', expect: { status: [200], body_contains: 'db=down' } }, port)
    const r = await use(createHttpProbe(bad)).run(2000)
    expect(r).toMatchObject({
      status: 'critical',
      detail: 'HTTP 200 OK but the body lacks "db=down"',
    })
  })

  it('retries once on a fresh connection when the server dropped the idle one', async () => {
    // Each connection answers one request, then hangs up on the next without a byte: the
    // race a server's keep-alive timeout creates. The check must not fail because of it.
    let connections = 0
    const port = await rawServer((socket) => {
      connections++
      let served = 0
      socket.on('data', () => {
        if (served++ === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
        else socket.destroy()
      })
    })
    const probe = use(createHttpProbe(target({ kind: 'http' }, port)))
    expect((await probe.run(2000)).status).toBe('ok')
    expect((await probe.run(2000)).status).toBe('ok')
    expect((await probe.run(2000)).status).toBe('ok')
    expect(connections).toBe(3)
  })

  it('opens a new connection after a response that says Connection: close', async () => {
    const { port, connections } = await httpServer((_req, res) => {
      res.setHeader('connection', 'close')
      res.end('ok')
    })
    const probe = use(createHttpProbe(target({ kind: 'http' }, port)))
    expect((await probe.run(2000)).status).toBe('ok')
    expect((await probe.run(2000)).status).toBe('ok')
    expect(connections()).toBe(2)
  })

  it('says connection refused for a closed port', async () => {
    const { port, server } = await httpServer((_req, res) => res.end())
    server.close()
    await once(server, 'close')
    const r = await use(createHttpProbe(target({ kind: 'http' }, port))).run(2000)
    expect(r).toMatchObject({ status: 'critical', detail: 'connect ECONNREFUSED' })
  })

  it('times out on a server that accepts and never answers', async () => {
    const port = await rawServer(() => {})
    const r = await use(createHttpProbe(target({ kind: 'http' }, port))).run(300)
    expect(r.status).toBe('timeout')
    expect(r.detail).toMatch(/^timeout after 300 ms \(response[;)]/)
    expect(r.latencyMs).toBeGreaterThanOrEqual(290)
    expect(r.latencyMs).toBeLessThan(2000)
  })

  it('gives a typed result for garbage, a reset and a truncated body', async () => {
    const garbage = await rawServer((s) =>
      s.once('data', () => s.end('SSH-2.0-OpenSSH_9.2\r\n\r\n')),
    )
    const reset = await rawServer((s) => s.once('data', () => s.resetAndDestroy()))
    const cut = await rawServer((s) =>
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort')),
    )
    const check = { kind: 'http', expect: { status: [200], body_contains: 'x' } }
    const results = await Promise.all(
      [garbage, reset, cut].map((port) => use(createHttpProbe(target(check, port))).run(2000)),
    )
    expect(results.map((r) => [r.status, r.detail])).toEqual([
      ['critical', 'response malformed status line "SSH-2.0-OpenSSH_9.2"'],
      ['critical', 'response ECONNRESET'],
      ['critical', 'body connection closed mid-body'],
    ])
  })

  it('keeps a head that arrives in pieces while other connections read in between', async () => {
    // Plain connections share one read buffer: a partial head must survive other reads.
    const slow = await rawServer((s) =>
      s.once('data', async () => {
        for (const piece of [
          'HTTP/1.1 200 OK\r\nX-Pad: ',
          'a'.repeat(300),
          '\r\nContent-Length: 4\r\n\r\nfine',
        ]) {
          s.write(piece)
          await new Promise((r) => setTimeout(r, 15))
        }
      }),
    )
    const { port: busy } = await httpServer((_req, res) => res.end('zzzzzzzzzzzzzzzzzzzzzzzz'))
    const slowProbe = use(
      createHttpProbe(
        target({ kind: 'http', expect: { status: [200], body_contains: 'fine' } }, slow),
      ),
    )
    const busyProbe = use(createHttpProbe(target({ kind: 'http' }, busy)))
    const chatter = (async () => {
      for (let i = 0; i < 20; i++) await busyProbe.run(2000)
    })()
    const r = await slowProbe.run(2000)
    await chatter
    expect(r).toMatchObject({ status: 'ok', detail: 'HTTP 200 OK' })
  })

  it('judges a 1 GB body by its head and never reads it all', async () => {
    const huge = await rawServer((s) =>
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n')
        const block = Buffer.alloc(64 * 1024, 'a')
        const pump = () => {
          while (!s.destroyed && s.write(block));
        }
        s.on('drain', pump)
        s.on('error', () => {})
        pump()
      }),
    )
    const before = process.memoryUsage().rss
    const plain = await use(createHttpProbe(target({ kind: 'http' }, huge))).run(2000)
    expect(plain).toMatchObject({ status: 'ok', detail: 'HTTP 200 OK' })
    const matching = target(
      { kind: 'http', expect: { status: [200], body_contains: 'needle' } },
      huge,
    )
    const r = await use(createHttpProbe(matching)).run(2000)
    expect(r).toMatchObject({
      status: 'critical',
      detail: 'HTTP 200 OK but the body lacks "needle"',
    })
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024)
  })

  it('drains a body it does not need and reuses the connection', async () => {
    const { port, connections } = await httpServer((_req, res) => res.end('x'.repeat(100_000)))
    const probe = use(createHttpProbe(target({ kind: 'http' }, port)))
    expect((await probe.run(2000)).status).toBe('ok')
    await new Promise((r) => setTimeout(r, 50))
    expect((await probe.run(2000)).status).toBe('ok')
    expect(connections()).toBe(1)
  })
})

describe('https probe', () => {
  it('verifies the server against the configured CA', async () => {
    const port = await httpsServer({ cert: tls('server.pem'), key: tls('server.key') })
    const verified = target({ kind: 'https', tls: { ca: path('ca.pem') } }, port)
    const prober = await createProber([verified])
    closers.push(() => prober.close())
    expect(await prober.run(verified)).toMatchObject({ status: 'ok', detail: 'HTTP 200 OK' })
  })

  it('refuses an untrusted certificate unless verify is off', async () => {
    const port = await httpsServer({ cert: tls('selfsigned.pem'), key: tls('selfsigned.key') })
    const strict = target({ kind: 'https' }, port)
    const lax = { ...target({ kind: 'https', tls: { verify: false } }, port), id: 'lax' }
    const prober = await createProber([strict, lax])
    closers.push(() => prober.close())
    expect(await prober.run(strict)).toMatchObject({
      status: 'critical',
      detail: 'tls DEPTH_ZERO_SELF_SIGNED_CERT',
    })
    expect((await prober.run(lax)).status).toBe('ok')
  })

  it('presents the client certificate a server requires', async () => {
    const port = await httpsServer({
      cert: tls('server.pem'),
      key: tls('server.key'),
      ca: tls('ca.pem'),
      requestCert: true,
      rejectUnauthorized: true,
    })
    const withCert = target(
      {
        kind: 'https',
        tls: {
          ca: path('ca.pem'),
          client_cert: path('client.pem'),
          client_key: `file:${path('client.key')}`,
        },
      },
      port,
    )
    const without = { ...target({ kind: 'https', tls: { ca: path('ca.pem') } }, port), id: 'bare' }
    const secrets = { resolve: async (ref: string) => readFileSync(ref.slice(5), 'utf8') }
    const prober = await createProber([withCert, without], { secrets })
    closers.push(() => prober.close())
    expect((await prober.run(withCert)).status).toBe('ok')
    expect((await prober.run(without)).status).toBe('critical')
  })
})

function target(check: Partial<z.input<typeof Check>>, port: number): CheckTarget {
  return {
    id: `web/node1/${check.kind}`,
    scope: 'service',
    check: Check.parse({ name: 'probe', ...check }),
    node: 'node1',
    service: 'web',
    address: '127.0.0.1',
    port,
  }
}

function path(name: string): string {
  return new URL(`./testdata/${name}`, import.meta.url).pathname
}

function use(probe: HttpProbe): HttpProbe {
  closers.push(() => probe.close())
  return probe
}

async function httpServer(handler: Parameters<typeof createHttpServer>[1]) {
  const server = createHttpServer(handler)
  let connections = 0
  let requests = 0
  server.on('connection', () => connections++)
  server.on('request', () => requests++)
  return {
    port: await listen(server),
    server,
    connections: () => connections,
    requests: () => requests,
  }
}

async function httpsServer(options: Parameters<typeof createHttpsServer>[0]) {
  return listen(createHttpsServer(options, (_req, res) => res.end('ok')))
}

async function rawServer(onSocket: (socket: Socket) => void): Promise<number> {
  return listen(createTcpServer(onSocket) as unknown as Server)
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  closers.push(() => {
    server.closeAllConnections?.()
    server.close()
  })
  const address = server.address()
  return typeof address === 'object' && address ? address.port : 0
}
