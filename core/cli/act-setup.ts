// What the exec, journal and approve commands share: config, store, registry and an executor.
import { createLogNoticeSink, type Executor } from '../act/index.ts'
import { createSecretResolver, loadConfig } from '../inventory/index.ts'
import { createLogger } from '../log.ts'
import { buildExecutor, loadSite } from '../runtime/index.ts'
import { openStore, type Store } from '../store/index.ts'

/** The store named by --store, or the config's `daemon.store`. */
export async function openCliStore(configFile: string, storeUrl?: string): Promise<Store> {
  if (storeUrl) return openStore(storeUrl)
  const config = await loadConfig(configFile)
  return openStore(config.daemon.store)
}

/** An executor as the daemon would build it, for one command run from a terminal. */
export async function cliExecutor(
  configFile: string,
  storeUrl: string | undefined,
): Promise<{ executor: Executor; store: Store }> {
  const { config, inventory, registry } = await loadSite(configFile)
  const secrets = createSecretResolver()
  const log = createLogger({
    level: process.env.TANDEM_LOG_LEVEL ?? 'warn',
    redactValues: secrets.known,
  })
  const store = await openStore(storeUrl ?? config.daemon.store)
  const executor = buildExecutor({
    store,
    registry,
    inventory,
    secrets,
    log,
    // Until a daemon with the notify area runs, a terminal user reads escalations on stderr.
    notices: createLogNoticeSink(log),
    actor: `cli:${process.env.USER ?? 'operator'}`,
  })
  return { executor, store }
}

/** `key=value` arguments; a value that parses as JSON (numbers, booleans, lists) is taken as such. */
export function parseAssignments(args: readonly string[]): Record<string, unknown> {
  const input: Record<string, unknown> = {}
  for (const arg of args) {
    const at = arg.indexOf('=')
    if (at <= 0) throw new Error(`expected key=value, got "${arg}"`)
    input[arg.slice(0, at)] = jsonOrText(arg.slice(at + 1))
  }
  return input
}

function jsonOrText(value: string): unknown {
  if (!/^(-?\d+(\.\d+)?|true|false|null|\[.*\]|\{.*\})$/s.test(value)) return value
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}
