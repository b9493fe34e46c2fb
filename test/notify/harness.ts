// Builds a real notifier for tests: the real config loader, a libSQL store with the real migrations,
// the built-in plugins, and a clock the test moves.
import { Writable } from 'node:stream'
import { createInventory, createSecretResolver, parseConfig } from '../../core/inventory/index.ts'
import { createLogger } from '../../core/log.ts'
import { checkChannels, createNotifier, type Notifier } from '../../core/notify/index.ts'
import { createRegistry } from '../../core/plugin-host/index.ts'
import { openStore, type Store } from '../../core/store/index.ts'
import { builtinPlugins } from '../../plugins/index.ts'

export interface TestClock {
  now(): number
  advance(ms: number): void
}

export function testClock(start = Date.now()): TestClock {
  let t = start
  return {
    now: () => t,
    advance(ms) {
      t += ms
    },
  }
}

export interface NotifyHarness {
  notifier: Notifier
  store: Store
  clock: TestClock
  logs: string[]
  close(): Promise<void>
}

/** A notifier over `yaml` (channels, routes); `env` holds the secrets the config references. */
export async function notifyHarness(options: {
  yaml: string
  env?: Record<string, string>
  storeUrl?: string
  clock?: TestClock
  leaseMarginMs?: number
  /** Also copy log lines here (the crash test's child writes them to stderr). */
  logTo?: NodeJS.WritableStream
}): Promise<NotifyHarness> {
  const registry = createRegistry(builtinPlugins)
  const config = parseConfig('test.yaml', options.yaml, {
    checks: [(c) => checkChannels(c, registry)],
  })
  const store = await openStore(options.storeUrl ?? ':memory:')
  const clock = options.clock ?? testClock()
  const logs: string[] = []
  const secrets = createSecretResolver(options.env ?? {})
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk))
      options.logTo?.write(chunk)
      done()
    },
  })
  const log = createLogger({ level: 'debug', destination: sink, redactValues: secrets.known })
  const notifier = createNotifier({
    store,
    inventory: createInventory(config),
    registry,
    secrets,
    log,
    clock,
    options: { leaseMarginMs: options.leaseMarginMs ?? 1_000 },
  })
  return {
    notifier,
    store,
    clock,
    logs,
    async close() {
      await notifier.stop()
      store.close()
    },
  }
}
