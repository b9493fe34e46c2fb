// One inventory the whole daemon holds, whose config can be swapped for a newly saved one.
import { createInventory, type Inventory } from './model.ts'
import type { Config } from './schema.ts'

/** An inventory whose every lookup answers from the config swapped in last. */
export interface ReloadableInventory extends Inventory {
  /** Answers from `config` from now on (already validated by the loader). */
  swap(config: Config): void
}

/**
 * Wraps a config so that the executor, probes, notifier and API, all built once, see a reload
 * at their next lookup without being rebuilt.
 *
 * @example
 * const inventory = createReloadableInventory(config)
 * inventory.swap(await loadConfig('tandem.yaml'))
 */
export function createReloadableInventory(config: Config): ReloadableInventory {
  let current = createInventory(config)
  return {
    get config() {
      return current.config
    },
    node: (name) => current.node(name),
    service: (name) => current.service(name),
    vm: (name) => current.vm(name),
    storage: (name) => current.storage(name),
    realServersOn: (node) => current.realServersOn(node),
    guestsOf: (host) => current.guestsOf(host),
    clusterServicesFor: (node) => current.clusterServicesFor(node),
    usesSharedStorage: (service) => current.usesSharedStorage(service),
    fencingOf: (node) => current.fencingOf(node),
    fenceDevice: (name) => current.fenceDevice(name),
    swap(next) {
      current = createInventory(next)
    },
  }
}
