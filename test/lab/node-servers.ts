// The lab's network side: each simulated node's ports on its loopback address, following the world.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import type { Config } from '../../core/inventory/index.ts'
import { readWorld } from './world.mjs'

interface Listener {
  node: string
  address: string
  port: number
  kind: 'http' | 'tcp'
  /** A real server marked unhealthy in the world answers HTTP 500 while still accepting. */
  healthy: boolean
  server?: Server | HttpServer
  sockets: Set<Socket>
}

/** A running set of node listeners; `sync()` is called on a timer and after world edits. */
export interface NodeServers {
  sync(): Promise<void>
  /** `node:port` pairs currently accepting connections. */
  listening(): string[]
  close(): Promise<void>
}

/**
 * Serves every node's probed ports (real-server ports, node check ports) on the node's address.
 * A node that is down or partitioned in the world stops accepting and drops open connections,
 * exactly what a probe sees when a machine dies; `healthy: false` on a real server answers 500.
 *
 * @example
 * const servers = await startNodeServers(config, { pollMs: 200 })
 */
export async function startNodeServers(
  config: Config,
  options: { pollMs?: number } = {},
): Promise<NodeServers> {
  const listeners = plannedListeners(config)
  const sync = async () => {
    const world = readWorld() as {
      nodes?: Record<string, { up?: boolean; partitioned?: boolean; unhealthy?: number[] }>
    }
    await Promise.all(
      listeners.map((l) => {
        const state = world.nodes?.[l.node]
        const up = state ? state.up !== false && !state.partitioned : true
        l.healthy = !state?.unhealthy?.includes(l.port)
        if (up && !l.server) return open(l)
        if (!up && l.server) return shut(l)
        return undefined
      }),
    )
  }
  await sync()
  const timer = setInterval(() => void sync().catch(() => {}), options.pollMs ?? 200)
  timer.unref()
  return {
    sync,
    listening: () => listeners.filter((l) => l.server).map((l) => `${l.node}:${l.port}`),
    async close() {
      clearInterval(timer)
      await Promise.all(listeners.map(shut))
    },
  }
}

function plannedListeners(config: Config): Listener[] {
  const seen = new Map<string, Listener>()
  const add = (node: string, port: number, kind: 'http' | 'tcp') => {
    const address = config.nodes.find((n) => n.name === node)?.address
    const key = `${node}:${port}`
    if (!address || seen.has(key)) return
    seen.set(key, { node, address, port, kind, healthy: true, sockets: new Set() })
  }
  for (const node of config.nodes)
    for (const check of node.checks) if (check.port) add(node.name, check.port, 'tcp')
  for (const service of config.services) {
    const http = service.checks.some((c) => c.kind === 'http')
    for (const rs of service.real_servers)
      add(rs.node, rs.port ?? service.lvs?.port ?? 0, http ? 'http' : 'tcp')
    if (service.lvs?.sorry_server?.port) {
      const director = service.lvs.director
      add(director, service.lvs.sorry_server.port, 'http')
    }
  }
  return [...seen.values()]
}

async function open(l: Listener): Promise<void> {
  const server =
    l.kind === 'http'
      ? createHttpServer((_req, res) => {
          res.writeHead(l.healthy ? 200 : 500, { 'content-type': 'text/plain' })
          res.end(l.healthy ? `ok ${l.node}\n` : `unhealthy ${l.node}\n`)
        })
      : createTcpServer((socket) => socket.end(`${l.node} ready\r\n`))
  server.on('connection', (socket: Socket) => {
    l.sockets.add(socket)
    // Probes hang up abruptly; a reset from a client is normal here, not an error.
    socket.on('error', () => {})
    socket.on('close', () => l.sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(l.port, l.address, () => resolve())
  })
  l.server = server
}

async function shut(l: Listener): Promise<void> {
  const server = l.server
  if (!server) return
  l.server = undefined
  for (const socket of l.sockets) socket.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}
