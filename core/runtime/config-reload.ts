// Hot reload of tandem.yaml: the new inventory swapped in for every part of the running daemon,
// the probes re-planned, the last good config kept when the file on disk is refused.
import { ConfigError, formatIssue } from '../errors.ts'
import { type Config, loadConfig, type ReloadableInventory } from '../inventory/index.ts'
import type { Logger } from '../log.ts'
import { checkChannels } from '../notify/index.ts'
import type { Registry } from '../plugin-host/index.ts'

/** What a reload did; the editor's save answers with it. */
export type ConfigReload =
  | {
      status: 'reloaded'
      /** Top-level sections whose content changed (`services`, `nodes`, …). */
      changed: string[]
      /** Changed sections the running daemon does not take over until it restarts. */
      restartFor: string[]
    }
  | { status: 'kept'; error: string }

/**
 * Read once at start: the `daemon` section (store, listen address, the leader's timings) and
 * which plugin modules are loaded (`plugins.<name>.module`). A plugin's own settings are not:
 * the executor, the probes and the plan contexts parse its block again when a reload brings a
 * new one, and the executor reads `monitor.blind_threshold` at each guard check.
 */
const READ_AT_START = ['daemon'] as const
/** Sections the probes are planned from: a change to one re-plans the probes. */
const PROBED = ['nodes', 'services', 'vms', 'storage', 'monitor', 'cluster'] as const

export interface ConfigReloaderOptions {
  configFile: string
  inventory: ReloadableInventory
  registry: Registry
  log: Logger
  /** Called with the new config once it is in the inventory; `probes`: the probed parts moved. */
  onReload(config: Config, options: { probes: boolean }): Promise<void>
}

/**
 * Reloads the config file on demand, one reload at a time. A file the loader refuses leaves the
 * running config as it was (logged, and said in the answer).
 *
 * @example
 * const reloader = createConfigReloader({ configFile, inventory, registry, log, onReload })
 * await reloader.reload() // { status: 'reloaded', changed: ['services'], restartFor: [] }
 */
export function createConfigReloader(options: ConfigReloaderOptions) {
  let queue: Promise<unknown> = Promise.resolve()
  const reloadNow = async (): Promise<ConfigReload> => {
    const { inventory, registry, log } = options
    let next: Config
    try {
      next = await loadConfig(options.configFile, {
        checks: [(config) => checkChannels(config, registry)],
      })
    } catch (error) {
      const message =
        error instanceof ConfigError
          ? error.issues.map(formatIssue).join('; ')
          : (error as Error).message
      log.error(`[runtime] config reload refused, the last good config stays: ${message}`)
      return { status: 'kept', error: message }
    }
    const before = inventory.config
    const changed = changedSections(before, next)
    if (changed.length === 0) return { status: 'reloaded', changed, restartFor: [] }
    const probes = changed.some((s) => (PROBED as readonly string[]).includes(s))
    inventory.swap(next)
    try {
      await options.onReload(next, { probes })
    } catch (error) {
      // Valid on paper, refused when started (a probe that cannot run): back to the last good.
      const message = `[runtime] config reload refused, the last good config stays: ${(error as Error).message}`
      log.error(message)
      inventory.swap(before)
      await options.onReload(before, { probes })
      return { status: 'kept', error: message }
    }
    const restartFor = changed.filter((s) => (READ_AT_START as readonly string[]).includes(s))
    if (modulesOf(before) !== modulesOf(next)) restartFor.push('plugins')
    log.info('[runtime] config reloaded', { changed, restartFor })
    return { status: 'reloaded', changed, restartFor }
  }
  return {
    reload(): Promise<ConfigReload> {
      const run = queue.then(reloadNow)
      queue = run.catch(() => undefined)
      return run
    },
  }
}

function changedSections(before: Config, after: Config): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  const record = (c: Config) => c as unknown as Record<string, unknown>
  return [...keys].filter(
    (key) => JSON.stringify(record(before)[key]) !== JSON.stringify(record(after)[key]),
  )
}

/** Which third-party modules the config loads: a change needs a restart (modules load once). */
function modulesOf(config: Config): string {
  return JSON.stringify(
    Object.entries(config.plugins)
      .flatMap(([name, block]) => (block.module ? [[name, block.module]] : []))
      .sort(),
  )
}
