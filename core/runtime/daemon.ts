// The long-running daemon: loads the config, opens the store, serves HTTP, runs until a signal.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createInventory, createSecretResolver, loadConfig } from '../inventory/index.ts'
import { createLogger } from '../log.ts'
import { openStore } from '../store/index.ts'

export interface DaemonOptions {
  configFile: string
  storeUrl?: string
  listen?: string
  dryRun?: boolean
}

export interface Daemon {
  url: string
  stop(): Promise<void>
  /** Resolves when the daemon has stopped (signal or stop()). */
  stopped: Promise<void>
}

/**
 * Starts tandem: config → store (migrated) → HTTP. Stops cleanly on SIGINT/SIGTERM.
 *
 * @example
 * const daemon = await startDaemon({ configFile: 'tandem.yaml' })
 * await daemon.stop()
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const secrets = createSecretResolver()
  const log = createLogger({ redactValues: secrets.known })
  const config = await loadConfig(options.configFile)
  const inventory = createInventory(config)
  const storeUrl = options.storeUrl ?? config.daemon.store
  const authToken = config.daemon.store_auth_token
    ? await secrets.resolve(config.daemon.store_auth_token)
    : undefined
  const store = await openStore(storeUrl, { authToken })
  const startedAt = Date.now()

  const app = new Hono()
  app.get('/healthz', (c) =>
    c.json({
      status: 'ok',
      uptimeMs: Date.now() - startedAt,
      nodes: inventory.config.nodes.length,
    }),
  )

  const [hostname, port] = splitListen(options.listen ?? config.daemon.listen)
  const server = serve({ fetch: app.fetch, hostname, port })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const address = server.address()
  const boundPort = typeof address === 'object' && address ? address.port : port
  const url = `http://${hostname}:${boundPort}/`
  log.info('tandem started', {
    config: options.configFile,
    store: store.kind,
    url,
    dryRun: options.dryRun ?? false,
  })

  let resolveStopped!: () => void
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve
  })
  let stopping = false
  const stop = async () => {
    if (stopping) return stopped
    stopping = true
    log.info('tandem stopping')
    await new Promise<void>((resolve) => server.close(() => resolve()))
    store.close()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    resolveStopped()
  }
  const onSignal = () => void stop()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return { url, stop, stopped }
}

function splitListen(listen: string): [string, number] {
  const at = listen.lastIndexOf(':')
  const host = at > 0 ? listen.slice(0, at).replace(/^\[|\]$/g, '') : '127.0.0.1'
  return [host, Number(listen.slice(at + 1))]
}
