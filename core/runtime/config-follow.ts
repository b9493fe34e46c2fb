// Instances sharing a store follow the config's revision there: a save through any of them makes
// every one re-read its config file, with the same loader and the same last-good rule as SIGHUP.
import type { Logger } from '../log.ts'
import { configRevision, type Store } from '../store/index.ts'
import type { ConfigReload } from './config-reload.ts'

export interface ConfigFollower {
  /** Reloads now (a save through this instance, SIGHUP), marking the store's revision as seen. */
  reload(): Promise<ConfigReload>
  /** Reloads when the store's revision moved since the last reload; else undefined. */
  follow(): Promise<ConfigReload | undefined>
}

/**
 * Wraps a reloader so that it follows the store. The revision is read before the file, so a save
 * that lands during a reload is seen by the next `follow()`.
 *
 * @example
 * const follower = await createConfigFollower({ store, reload: reloader.reload, log })
 * setInterval(() => void follower.follow(), 2_000)
 */
export async function createConfigFollower(options: {
  store: Store
  reload: () => Promise<ConfigReload>
  log: Logger
}): Promise<ConfigFollower> {
  let seen = await configRevision(options.store.db)
  const reload = async () => {
    seen = await configRevision(options.store.db)
    return options.reload()
  }
  return {
    reload,
    async follow() {
      if ((await configRevision(options.store.db)) === seen) return undefined
      options.log.info('[runtime] the config was saved through another instance: reloading it')
      return reload()
    },
  }
}
