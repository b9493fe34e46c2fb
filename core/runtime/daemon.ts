// The long-running daemon: an instance, its HTTP server, the leader loop and cron, until a signal.
import { serve } from '@hono/node-server'
import cron from 'node-cron'
import { isStaleLeader } from '../act/index.ts'
import { TandemError } from '../errors.ts'
import { tandemMetrics } from '../metrics/index.ts'
import { createInstance, type Instance, type InstanceOptions } from './instance.ts'
import { createLeaseCoordinator } from './run-coordinator.ts'

export interface DaemonOptions extends InstanceOptions {
  listen?: string
  /**
   * How often the leader loop runs (default 250 ms: it is a cheap query when idle). Events this
   * instance's probes store start a pass at once (Instance.wake).
   */
  leadEveryMs?: number
  /**
   * How often the daemon looks for a config saved through another instance on the store
   * (default 2 s: one small query).
   */
  configPollMs?: number
}

export interface Daemon {
  url: string
  instance: Instance
  stop(): Promise<void>
  /** Resolves when the daemon has stopped (signal or stop()). */
  stopped: Promise<void>
}

/**
 * Starts tandem: instance (config → store → plugins → policies → executor → API), HTTP, the
 * leader loop. Stops cleanly on SIGINT/SIGTERM, letting runs in flight finish their step.
 *
 * @example
 * const daemon = await startDaemon({ configFile: 'tandem.yaml' })
 * await daemon.stop()
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const instance = await createInstance({ watch: true, probe: true, ...options })
  const { log, site } = instance
  const [hostname, port] = splitListen(options.listen ?? site.config.daemon.listen)
  const server = serve({ fetch: instance.app.fetch, hostname, port })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
  } catch (error) {
    // Nothing may keep probing or acting behind a daemon nobody can reach: stop it all.
    await instance.close()
    const code = (error as NodeJS.ErrnoException).code
    throw new TandemError(
      'CONFIG_INVALID',
      `[runtime] cannot listen on ${hostname}:${port}: ${code === 'EADDRINUSE' ? 'the address is already in use (another tandem, or another program?)' : (error as Error).message}; set daemon.listen or --listen`,
      { cause: error },
    )
  }
  const address = server.address()
  const boundPort = typeof address === 'object' && address ? address.port : port
  const url = `http://${hostname}:${boundPort}/`

  // The lease is renewed on its own timer: a leader pass may take longer than a lease period
  // (a recovery waits for an orphaned fence agent), and must not let the lease lapse meanwhile.
  const leaseMs = options.leaseMs ?? 10_000
  const renewTimer = setInterval(
    () => void instance.leadership.renew().catch(() => {}),
    Math.max(100, Math.floor(leaseMs / 4)),
  )
  await instance.leadership.renew()
  // One pass at a time; a wake-up or tick during a pass asks for exactly one more after it.
  let leading: Promise<unknown> = Promise.resolve()
  let passing = false
  let again = false
  const pass = () => {
    if (passing) {
      again = true
      return
    }
    passing = true
    leading = (async () => {
      do {
        again = false
        await instance.lead({ renew: false }).catch((error) =>
          isStaleLeader(error)
            ? log.warn('[runtime] leader pass stopped: this instance no longer leads', {
                code: 'STALE_LEADER',
              })
            : log.error('[runtime] leader pass failed', { error: String(error) }),
        )
      } while (again && !stopping)
      passing = false
    })()
  }
  const leadEveryMs = options.leadEveryMs ?? 250
  const lag = tandemMetrics(instance.metrics).schedulerLag
  let lastTick = performance.now()
  const leadTimer = setInterval(() => {
    // A blocked event loop shows here first: the leader's tick came late.
    const tickAt = performance.now()
    lag.observe({ job: 'tick' }, Math.max(0, tickAt - lastTick - leadEveryMs) / 1000)
    lastTick = tickAt
    pass()
  }, leadEveryMs)
  // Stored events (this instance's probes) start a pass now: the timer is only the fallback
  // for events other instances or the API stored.
  const unwake = instance.onWake(pass)
  // A save through another instance on this store: re-read the config file here too.
  let following = false
  const followTimer = setInterval(() => {
    if (following) return
    following = true
    void instance
      .followConfig()
      .catch((error) => log.error('[runtime] config follow failed', { error: String(error) }))
      .finally(() => {
        following = false
      })
  }, options.configPollMs ?? 2_000)
  const housekeeping = cron.schedule(
    '*/10 * * * *',
    () => instance.policies.reload().then(() => undefined),
    {
      name: 'housekeeping',
      distributed: true,
      runCoordinator: createLeaseCoordinator(instance.store.db, instance.id),
      noOverlap: true,
    },
  )
  log.info('tandem started', {
    instance: instance.id,
    config: site.configFile,
    store: instance.store.kind,
    url,
    dryRun: options.dryRun ?? false,
  })

  let resolveStopped!: () => void
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve
  })
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      log.info('tandem stopping')
      clearInterval(leadTimer)
      clearInterval(followTimer)
      unwake()
      clearInterval(renewTimer)
      await housekeeping.destroy()
      await leading
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await instance.close()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.off('SIGHUP', onHangup)
      resolveStopped()
    })()
    return stopping
  }
  const onSignal = () => void stop()
  // As for most daemons, SIGHUP re-reads the config file (a hand edit, a git pull).
  const onHangup = () => void instance.reloadConfig()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('SIGHUP', onHangup)
  return { url, instance, stop, stopped }
}

function splitListen(listen: string): [string, number] {
  const at = listen.lastIndexOf(':')
  const host = at > 0 ? listen.slice(0, at).replace(/^\[|\]$/g, '') : '127.0.0.1'
  return [host, Number(listen.slice(at + 1))]
}
