// The serverless entry: `fetch` serves the API, `scheduled` runs one tick; nothing is kept between calls.
import { resolve } from 'node:path'
import { tick } from '../health/index.ts'
import { createSecretResolver, type SecretResolver } from '../inventory/index.ts'
import { createInstance, type Instance } from './instance.ts'
import { heartbeat } from './shards.ts'

/**
 * Instance settings from the environment: TANDEM_CONFIG (default tandem.yaml),
 * TANDEM_STORE_URL (`libsql://…`, `http://…` or `file:…`; default the config's daemon.store),
 * TANDEM_STORE_AUTH_TOKEN, TANDEM_POLICIES (default policies/), TANDEM_INSTANCE_ID (default
 * `serverless`: one stable id per deployment, so its heartbeat and lease survive the calls).
 */
function fromEnv(env: NodeJS.ProcessEnv = process.env) {
  return {
    configFile: env.TANDEM_CONFIG ?? 'tandem.yaml',
    storeUrl: env.TANDEM_STORE_URL || undefined,
    storeAuthToken: env.TANDEM_STORE_AUTH_TOKEN || undefined,
    policiesDir: resolve(env.TANDEM_POLICIES ?? 'policies'),
    instanceId: env.TANDEM_INSTANCE_ID ?? 'serverless',
    dryRun: env.TANDEM_DRY_RUN === '1',
  }
}

/** The live set is whoever beat within this long: three of the platform's tick periods. */
const STALE_MS = Number(process.env.TANDEM_TICK_STALE_MS ?? 180_000)

async function withInstance<T>(
  work: (instance: Instance, secrets: SecretResolver) => Promise<T>,
): Promise<T> {
  const secrets = createSecretResolver()
  const instance = await createInstance({ ...fromEnv(), secrets, watch: false, probe: false })
  try {
    return await work(instance, secrets)
  } finally {
    await instance.close()
  }
}

/**
 * Serves one API request: the hono app over a fresh instance (the store holds all state).
 *
 * @example
 * export default { fetch, scheduled } // a Workers-style module
 */
export function fetch(request: Request): Promise<Response> {
  return withInstance(async (instance) => instance.app.fetch(request))
}

/**
 * One tick, for the platform's cron: heartbeat, probe this shard's checks once, lead (follow
 * events into policies, fire due `for:` timers, act, and wait for the runs it started), then
 * deliver the due notifications. Returns what it did, for the platform's log.
 *
 * @example
 * await scheduled() // every interval of the checks (e.g. every 2 s … 1 min)
 */
export function scheduled(): Promise<{ probed: number; events: number; leading: boolean }> {
  return withInstance(async (instance, secrets) => {
    const { store, site, log } = instance
    const view = await heartbeat(store.db, instance.id, STALE_MS)
    const probed = await tick({
      inventory: site.inventory,
      store,
      log,
      registry: site.registry,
      pluginContext: instance.probeContext,
      secrets,
      owns: view.owns,
    })
    const led = await instance.lead({ wait: true })
    await instance.notifier.deliverDue()
    return { probed: probed.probed, events: probed.events.length, leading: led.leading }
  })
}

export default { fetch, scheduled }
