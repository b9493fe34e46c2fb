// The lab's node listeners follow the world: a dead node refuses connections, an unhealthy port answers 500.
import { mkdtemp } from 'node:fs/promises'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parseConfig } from '../../core/inventory/index.ts'
import { type NodeServers, startNodeServers } from './node-servers.ts'
import { updateWorld } from './world.mjs'

const config = parseConfig(
  'lab.yaml',
  `
nodes:
  - { name: director, address: 127.0.9.10, roles: [director] }
  - { name: n1, address: 127.0.9.1, checks: [{ name: agent, kind: tcp, port: 2222 }] }
  - { name: n2, address: 127.0.9.2, checks: [{ name: agent, kind: tcp, port: 2222 }] }
services:
  - name: web
    lvs: { director: director, address: 192.0.2.10, port: 80 }
    real_servers: [{ node: n1, port: 8080 }, { node: n2, port: 8080 }]
    checks: [{ name: http, kind: http, path: /healthz }]
`,
)
let servers: NodeServers

beforeAll(async () => {
  process.env.TANDEM_LAB_WORLD = join(await mkdtemp(join(tmpdir(), 'tandem-lab-')), 'world.json')
  updateWorld((w) => {
    w.nodes = { n1: { up: true, power: 'on' }, n2: { up: true, power: 'on' } }
  })
  servers = await startNodeServers(config, { pollMs: 60_000 })
})
afterAll(() => servers.close())

const tcp = (host: string, port: number) =>
  new Promise<string>((resolve) => {
    const socket = connect(port, host)
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
    socket.once('connect', () => {
      resolve('open')
      socket.destroy()
    })
  })
const httpStatus = (host: string, port: number) =>
  new Promise<number>((resolve, reject) => {
    request({ host, port, path: '/healthz' }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
      .on('error', reject)
      .end()
  })

it('serves every node`s checked ports on its address', async () => {
  expect(servers.listening().sort()).toEqual(['n1:2222', 'n1:8080', 'n2:2222', 'n2:8080'])
  expect(await httpStatus('127.0.9.2', 8080)).toBe(200)
  expect(await tcp('127.0.9.2', 2222)).toBe('open')
})

it('refuses connections of a node that died, and serves them again when it is back', async () => {
  updateWorld((w) => {
    w.nodes.n2 = { up: false, power: 'off' }
  })
  await servers.sync()
  expect(await tcp('127.0.9.2', 2222)).toBe('ECONNREFUSED')
  expect(await tcp('127.0.9.1', 2222)).toBe('open')
  updateWorld((w) => {
    w.nodes.n2 = { up: true, power: 'on' }
  })
  await servers.sync()
  expect(await tcp('127.0.9.2', 2222)).toBe('open')
})

it('answers 500 on a real server marked unhealthy while the node stays up', async () => {
  updateWorld((w) => {
    w.nodes.n1 = { up: true, power: 'on', unhealthy: [8080] }
  })
  await servers.sync()
  expect(await httpStatus('127.0.9.1', 8080)).toBe(500)
  expect(await tcp('127.0.9.1', 2222)).toBe('open')
})
